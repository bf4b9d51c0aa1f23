/* Text that must stay on one line: every warning and refusal gpupool
 * prints is one line (libvirt puts the hook's into the start error, and
 * scripts read the CLI's line by line), yet a message may carry values
 * from outside: a domain name with a TAB, a libxml2 message that ends
 * in a newline or runs over two. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TEXT without trailing white space, every control character left in it
 * (newlines, TABs, escape sequences) written as a C escape: "\n", "\t",
 * "\x1b".  A new string; NULL gives "". */
char *gp_one_line(const char *text);

G_END_DECLS
