/*  =========================================================================
    cf_document - the certificate document: one A4 page as PDF

    What a holder frames: the certificate's fields in Chinese and English,
    the grade with its stars, and a QR code holding the seal (cf_seal.h), a
    URL that opens the certificate's entry in the public register. Text is
    set with Pango on Cairo in Noto CJK (Debian's fonts-noto-cjk), the QR
    code is made by libqrencode. The page shows the seal's values only, so
    what it says is what was signed; the seal is also in the PDF's Keywords,
    where certflow certificate verify finds it, and the QR code is a link to
    the register entry.

    Runs in the client: the daemon only signs.
    =========================================================================
*/

#ifndef CF_DOCUMENT_H_INCLUDED
#define CF_DOCUMENT_H_INCLUDED

#include "cf_error.h"
#include "cf_problems.h"
#include "cf_seal.h"

//  The QR code's error correction: L, the lowest, so that the whole seal
//  fits (a framed document is not worn down like a label)
#define CF_DOCUMENT_QR_LEVEL "L"

//  Writes the document of seal to path as a one-page A4 PDF. payload is
//  the seal's text (cf_seal_payload), put in the QR code and the Keywords.
//  The file appears whole or not at all (written beside it, then renamed).
//  Returns 0, CF_ELIMIT when the payload does not fit in a QR code, or
//  CF_EIO when the file cannot be written (problems say why and where).
int CF_MUST_CHECK cf_document_pdf (const cf_seal_t *seal, const char *payload,
                                   const char *path, cf_problems_t *problems);

//  The QR code's size in modules for payload (its version's width), or 0
//  when it does not fit in one.
int cf_document_qr_width (const char *payload);

#endif
