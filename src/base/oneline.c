#include "config.h"

#include "base/oneline.h"

#include <string.h>

char *
gp_one_line(const char *text)
{
    GString *out;
    size_t len;

    if (!text)
        return g_strdup("");
    len = strlen(text);
    while (len > 0 && g_ascii_isspace(text[len - 1]))
        len--;
    out = g_string_sized_new(len);
    for (size_t i = 0; i < len; i++) {
        guchar c = (guchar)text[i];

        if (c >= 0x20 && c != 0x7f)
            g_string_append_c(out, (char)c);
        else if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\r')
            g_string_append(out, "\\r");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else
            g_string_append_printf(out, "\\x%02x", c);
    }
    return g_string_free(out, FALSE);
}
