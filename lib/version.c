/* The running library's version: the headers' macros say what a program was
 * built against, these what it got at run time. */
#include "uvaws/version.h"

unsigned int uvaws_version(void) { return UVAWS_VERSION_HEX; }

const char *uvaws_version_string(void) { return UVAWS_VERSION_STRING; }
