/* SPDX-License-Identifier: MIT */
// Prints the legacy native keys real Qt makes, for names read from stdin:
// one hex-encoded UTF-8 name per line ("-" = empty), one hex-encoded key
// per line out ("-" = empty). Built against Qt 5 (qt5keys) and Qt 6.4
// (qt6keys), which both still use the legacy scheme (System V on Debian,
// depending on $TMPDIR).
//   qt5keys       QSharedMemory::setKey(name) then nativeKey()
//   qt5keys sem   the key file a QSystemSemaphore(name, 1, Create) makes in
//                 QDir::tempPath() ("!" if it made none); the semaphore
//                 object removes it and its semaphore again
#include <QByteArray>
#include <QDir>
#include <QSharedMemory>
#include <QString>
#include <QStringList>
#include <QSystemSemaphore>

#include <cstdio>
#include <cstring>

static void put(const QString &s)
{
	QByteArray out = s.toUtf8().toHex();
	printf("%s\n", out.isEmpty() ? "-" : out.constData());
}

static QString sem_key_file(const QString &name)
{
	QDir dir(QDir::tempPath());
	QStringList before = dir.entryList(QDir::Files);
	QSystemSemaphore sem(name, 1, QSystemSemaphore::Create);
	const QStringList after = dir.entryList(QDir::Files);

	for (const QString &f : after)
		if (!before.contains(f))
			return dir.path() + QLatin1Char('/') + f;
	return name.isEmpty() ? QString() : QStringLiteral("!");
}

int main(int argc, char **argv)
{
	static char line[65536];
	bool sem = argc > 1 && !strcmp(argv[1], "sem");
	QSharedMemory shm;

	while (fgets(line, sizeof line, stdin)) {
		QByteArray hex(line);
		hex = hex.trimmed();
		if (hex == "-")
			hex.clear();
		QString name = QString::fromUtf8(QByteArray::fromHex(hex));
		if (sem) {
			put(sem_key_file(name));
		} else {
			shm.setKey(name);
			put(shm.nativeKey());
		}
	}
	return ferror(stdin) ? 1 : 0;
}
