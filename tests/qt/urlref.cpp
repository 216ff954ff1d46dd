/* SPDX-License-Identifier: MIT */
// Reference for nipc's key string form: QNativeIpcKey::toString/fromString
// (Qt >= 6.6) rebuilt on the QUrl/QUrlQuery of the installed Qt 6, which is
// where all of that behaviour lives.
//
// Reads one case per line from stdin, all text hex-encoded ("-" = empty):
//   F <type> <native-hex> <legacy-hex>    format  -> "N" (null string) or "S <string-hex>"
//   P <string-hex>                         parse   -> "0" (invalid) or
//                                                    "1 <type> <native-hex> <legacy-hex|!>"
// and writes one answer line per case, in order. Only valid UTF-8 should be
// fed as text.
#include <QByteArray>
#include <QString>
#include <QStringDecoder>
#include <QUrl>
#include <QUrlQuery>

#include <cstdio>
#include <cstring>
#include <string>

// UTF-8 to QString keeping a leading U+FEFF (QString::fromUtf8 drops it,
// which would change the key under test rather than observe Qt).
static QString unhex(const char *s)
{
	if (!strcmp(s, "-") || !strcmp(s, "!"))
		return QString();
	QStringDecoder dec(QStringConverter::Utf8, QStringConverter::Flag::ConvertInitialBom);
	return dec(QByteArray::fromHex(QByteArray(s)));
}

static void puthex(const QString &s)
{
	QByteArray u = s.toUtf8();
	if (u.isEmpty())
		fputs("-", stdout);
	else
		fputs(u.toHex().constData(), stdout);
}

static QString typeName(int type)
{
	if (type == 0x51)
		return QStringLiteral("systemv");
	if (type >= 1 && type <= 255)
		return QStringLiteral("systemv-%1").arg(type);
	if (type == 0x100)
		return QStringLiteral("posix");
	if (type == 0x101)
		return QStringLiteral("windows");
	return QString();
}

static int typeFromName(const QString &s)
{
	if (s == QLatin1String("systemv"))
		return 0x51;
	if (s == QLatin1String("posix"))
		return 0x100;
	if (s == QLatin1String("windows"))
		return 0x101;
	if (!s.startsWith(QLatin1String("systemv-")))
		return 0;
	QStringView num = QStringView(s).mid(8);
	// Where Qt 6.8's QNativeIpcKey differs from this rebuild on 6.4's
	// classes (the documented exceptions of the differential test):
	// 6.8 takes only digits after "systemv-", where toInt also takes a
	// sign ("systemv-+1:" is invalid in 6.8, checked with the real 6.8).
	for (QChar c : num)
		if (c < QLatin1Char('0') || c > QLatin1Char('9'))
			return 0;
	bool ok = false;
	int n = num.isEmpty() ? -1 : num.toInt(&ok, 10);
	return ok && n >= 1 && n <= 255 ? n : 0;
}

static void format(int type, const QString &native, const QString &legacy)
{
	QString scheme = typeName(type);
	if (scheme.isNull()) {
		puts("N");
		return;
	}
	QUrl u;
	u.setScheme(scheme);
	QString path = native;
	path.replace(QLatin1Char('%'), QLatin1String("%25"));
	if (path.startsWith(QLatin1String("//")))
		path.replace(0, 2, QLatin1String("/%2F"));
	u.setPath(path, QUrl::TolerantMode);
	if (!legacy.isEmpty()) {
		QUrlQuery q;
		QString l = legacy;
		l.replace(QLatin1Char('%'), QLatin1String("%25"));
		q.addQueryItem(QStringLiteral("legacyKey"), l);
		u.setQuery(q);
	}
	fputs("S ", stdout);
	puthex(u.toString(QUrl::DecodeReserved));
	putchar('\n');
}

static void parse(const QString &text)
{
	QUrl u(text, QUrl::TolerantMode);
	int type = typeFromName(u.scheme());
	if (!type || !u.isValid() || !u.userInfo().isEmpty() || !u.host().isEmpty() ||
	    u.port() != -1) {
		puts("0");
		return;
	}
	QString native = u.path();
	QString legacy;
	if (u.hasQuery()) {
		const auto items = QUrlQuery(u).queryItems();
		for (const auto &item : items) {
			if (item.first != QLatin1String("legacyKey")) {
				puts("0");
				return;
			}
			legacy = QUrl::fromPercentEncoding(item.second.toUtf8());
		}
	}
	printf("1 %d ", type);
	puthex(native);
	putchar(' ');
	if (legacy.isEmpty())
		putchar('!');
	else
		puthex(legacy);
	putchar('\n');
}

int main()
{
	char line[1 << 16];
	char a[sizeof line], b[sizeof line], c[sizeof line];
	int type;

	while (fgets(line, sizeof line, stdin)) {
		if (sscanf(line, "F %d %s %s", &type, a, b) == 3)
			format(type, unhex(a), unhex(b));
		else if (sscanf(line, "P %s", c) == 1)
			parse(unhex(c));
		else
			puts("?");
	}
	return 0;
}
