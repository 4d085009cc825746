#  Writes the man page OUTPUT of PROGRAM from its own --help, so the page
#  cannot drift from the program:
#      NAME(SECTION) - SUMMARY, the --help text as it prints, then (when
#      COMMANDS is on) the --help of every command its help lists, then the
#      roff sections of EXTRA (FILES, SIGNALS, SEE ALSO, ...).
#  Run as: cmake -DPROGRAM=... -DNAME=... -DSECTION=... -DSUMMARY=...
#                -DVERSION=... -DEXTRA=... -DOUTPUT=... [-DCOMMANDS=ON]
#                -P man.cmake

#  Text as roff shows it verbatim: backslashes doubled, no line may start a
#  request
function (s_verbatim text out)
    string (REPLACE "\\" "\\e" text "${text}")
    string (REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
    string (REGEX REPLACE "(^|\n)-" "\\1\\\\-" text "${text}")
    set (${out} "${text}" PARENT_SCOPE)
endfunction ()

function (s_help out)
    execute_process (COMMAND ${PROGRAM} ${ARGN} --help
                     OUTPUT_VARIABLE help RESULT_VARIABLE rc)
    if (NOT rc EQUAL 0)
        message (FATAL_ERROR "${PROGRAM} ${ARGN} --help failed: ${rc}")
    endif ()
    s_verbatim ("${help}" help)
    set (${out} "${help}" PARENT_SCOPE)
endfunction ()

string (TOUPPER "${NAME}" title)
string (TIMESTAMP date "%Y-%m-%d" UTC)
s_help (help)
string (CONCAT page ".TH ${title} ${SECTION} \"${date}\" \"certflow ${VERSION}\"\n"
          ".SH NAME\n${NAME} \\- ${SUMMARY}\n"
          ".SH DESCRIPTION\n.nf\n${help}.fi\n")

if (COMMANDS)
    #  The commands are the lines of the help's "commands:" block
    execute_process (COMMAND ${PROGRAM} --help OUTPUT_VARIABLE raw)
    string (REGEX MATCH "\ncommands:\n(  [^\n]*\n)+" block "${raw}")
    string (REGEX MATCHALL "\n  [a-z]+( [a-z]+)?" names "${block}")
    string (APPEND page ".SH COMMANDS\n")
    foreach (line ${names})
        string (STRIP "${line}" command)
        separate_arguments (words UNIX_COMMAND "${command}")
        #  "certificate show": a group and its command; the group's
        #  first word alone prints the group, not a command's help
        list (LENGTH words count)
        if (count EQUAL 2)
            list (GET words 1 second)
            if (second MATCHES "^(grant|accept)$")
                list (GET words 0 words)
            endif ()
        endif ()
        string (JOIN " " shown ${words})
        s_help (text ${words})
        string (APPEND page ".SS ${shown}\n.nf\n${text}.fi\n")
    endforeach ()
endif ()

file (READ ${EXTRA} extra)
string (APPEND page "${extra}")
file (WRITE ${OUTPUT} "${page}")
