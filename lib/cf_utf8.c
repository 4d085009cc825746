/*  =========================================================================
    cf_utf8 - UTF-8 text: strict validation and cutting on character bounds
    =========================================================================
*/

#include "cf_utf8.h"

#include <limits.h>
#include <stdint.h>

size_t
cf_utf8_char (const char *text, size_t size)
{
    if (size == 0)
        return 0;
    const unsigned char *bytes = (const unsigned char *)text;
    unsigned char lead = bytes[0];
    size_t length;
    uint32_t point;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        point = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        point = lead & 0x07;
    } else
        return 0;
    if (length > size)
        return 0;
    for (size_t index = 1; index < length; index++) {
        if ((bytes[index] & 0xC0) != 0x80)
            return 0;
        point = (point << 6) | (bytes[index] & 0x3F);
    }
    //  Overlong forms, surrogates and points past Unicode are refused
    if ((length == 3 && point < 0x800) || (length == 4 && point < 0x10000) ||
        (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF)
        return 0;
    return length;
}

bool
cf_utf8_valid (const char *text, size_t size)
{
    size_t index = 0;
    while (index < size) {
        size_t length = cf_utf8_char (text + index, size - index);
        if (length == 0)
            return false;
        index += length;
    }
    return true;
}

int
cf_utf8_prefix (const char *text, size_t max)
{
    if (!text)
        return 0;
    if (max > INT_MAX)
        max = INT_MAX;
    size_t index = 0;
    while (index < max && text[index]) {
        //  Reading at most 4 bytes stops at the NUL: it is no continuation
        size_t length = cf_utf8_char (text + index, 4);
        if (length == 0)
            length = 1;
        if (index + length > max)
            break;
        index += length;
    }
    return (int)index;
}
