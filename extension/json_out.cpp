#include "json_out.hpp"

namespace presence {

namespace {

constexpr std::int64_t kUsecPerSec = 1000000;
constexpr std::int64_t kSecPerDay = 86400;

// Days from 1970-01-01 to 2000-01-01.
constexpr std::int64_t kPgEpochDays = 10957;

// Converts days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
// well-known civil_from_days construction).
void civil_from_days(std::int64_t z, std::int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

void put_digits(char *out, std::int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = char('0' + v % 10);
        v /= 10;
    }
}

}  // namespace

void format_timestamp(std::int64_t t, char *out)
{
    // 0000-01-01 and 9999-12-31 23:59:59.999999 in PostgreSQL's epoch.
    const std::int64_t kMin = -63113904000LL * kUsecPerSec;
    const std::int64_t kMax = 252455615999LL * kUsecPerSec + (kUsecPerSec - 1);
    if (t < kMin)
        t = kMin;
    if (t > kMax)
        t = kMax;

    std::int64_t secs = t / kUsecPerSec;
    std::int64_t usec = t % kUsecPerSec;
    if (usec < 0) {
        usec += kUsecPerSec;
        secs -= 1;
    }
    std::int64_t days = secs / kSecPerDay;
    std::int64_t sod = secs % kSecPerDay;
    if (sod < 0) {
        sod += kSecPerDay;
        days -= 1;
    }

    std::int64_t year;
    unsigned month, day;
    civil_from_days(days + kPgEpochDays, &year, &month, &day);

    put_digits(out, year, 4);
    out[4] = '-';
    put_digits(out + 5, month, 2);
    out[7] = '-';
    put_digits(out + 8, day, 2);
    out[10] = 'T';
    put_digits(out + 11, sod / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, (sod / 60) % 60, 2);
    out[16] = ':';
    put_digits(out + 17, sod % 60, 2);
    out[19] = '.';
    put_digits(out + 20, usec, 6);
    out[26] = 'Z';
}

std::size_t utf8_decode(const unsigned char *s, std::size_t n, std::uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    std::size_t len;
    std::uint32_t v;
    std::uint32_t min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (std::size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

}  // namespace presence
