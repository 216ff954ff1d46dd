// Prints QSharedMemory::nativeKey() of real Qt 5 for names read from stdin:
// one hex-encoded UTF-8 name per line ("-" = empty), one hex-encoded native
// key per line out ("-" = empty). With Debian's Qt 5 this is the legacy
// System V key, which depends on $TMPDIR.
#include <QByteArray>
#include <QSharedMemory>
#include <QString>

#include <cstdio>
#include <cstring>

int main()
{
	static char line[65536];
	QSharedMemory shm;

	while (fgets(line, sizeof line, stdin)) {
		QByteArray hex(line);
		hex = hex.trimmed();
		if (hex == "-")
			hex.clear();
		shm.setKey(QString::fromUtf8(QByteArray::fromHex(hex)));
		QByteArray out = shm.nativeKey().toUtf8().toHex();
		printf("%s\n", out.isEmpty() ? "-" : out.constData());
	}
	return ferror(stdin) ? 1 : 0;
}
