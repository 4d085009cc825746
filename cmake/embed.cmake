#  Turns the file INPUT into a C source OUTPUT that defines
#      const char SYMBOL[];          (the bytes, NUL-terminated)
#      const size_t SYMBOL_size;     (the length, without the NUL)
#  Run as: cmake -DINPUT=... -DOUTPUT=... -DSYMBOL=... -P embed.cmake
file (READ ${INPUT} hex HEX)
string (LENGTH "${hex}" hex_length)
math (EXPR size "${hex_length} / 2")
string (REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string (REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
file (WRITE ${OUTPUT}
"/*  Generated from ${INPUT} by cmake/embed.cmake: do not edit.  */\n"
"#include <stddef.h>\n"
"const char ${SYMBOL}[] = {\n    ${bytes}0x00\n};\n"
"const size_t ${SYMBOL}_size = ${size};\n")
