/*  =========================================================================
    cf_document - the certificate document: one A4 page as PDF

    The page, top to bottom: a double frame; the title in Chinese and
    English; the number; the statement of conformity; one row per field
    (label in Chinese over English, the value beside it, wrapped); the
    stars; then the issuer and how to check the document beside the QR
    code. The rows are set at the largest size that leaves room for the
    bottom block, so a long scope shrinks the text, never adds a page.
    =========================================================================
*/

#include "cf_document.h"

#include <assert.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cf_mem.h"

//  A4 in points, and the page's parts
#define S_WIDTH       595.276
#define S_HEIGHT      841.890
#define S_MARGIN      54.0   //  Text starts this far in
#define S_LABEL_WIDTH 132.0  //  The label column
#define S_QR_SIZE     178.0  //  The QR code with its quiet zone (63 mm)
#define S_BOTTOM      (S_HEIGHT - 52.0 - S_QR_SIZE)  //  Top of the bottom block

#define S_SERIF "Noto Serif CJK SC"

//  One family, Noto Serif CJK SC, Bold for what stands out: its subsets
//  embed in some 60-200 kB each, where cairo's subset of Noto Sans CJK
//  alone takes 900 kB
//  Colours: ink, the frame's red, the labels' grey, the stars' gold
static const double s_ink[3] = {0.10, 0.10, 0.12};
static const double s_red[3] = {0.55, 0.09, 0.09};
static const double s_grey[3] = {0.38, 0.38, 0.40};
static const double s_gold[3] = {0.80, 0.58, 0.05};

//  Sets text in font at size, width wide (0: one line) at x, y; draws it
//  unless measuring; returns its height
static double
s_text (cairo_t *cr, bool draw, double x, double y, double width,
        const char *family, bool bold, double size, const double *colour,
        PangoAlignment align, const char *text)
{
    PangoLayout *layout = pango_cairo_create_layout (cr);
    PangoFontDescription *font = pango_font_description_new ();
    pango_font_description_set_family (font, family);
    pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD
                                                  : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
    pango_layout_set_font_description (layout, font);
    pango_font_description_free (font);
    if (width > 0) {
        pango_layout_set_width (layout, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    }
    pango_layout_set_alignment (layout, align);
    pango_layout_set_text (layout, text, -1);
    int ink_width = 0, height = 0;
    pango_layout_get_size (layout, &ink_width, &height);
    if (draw) {
        cairo_set_source_rgb (cr, colour[0], colour[1], colour[2]);
        cairo_move_to (cr, x, y);
        pango_cairo_show_layout (cr, layout);
    }
    g_object_unref (layout);
    return (double)height / PANGO_SCALE;
}

//  The grade text's words and its stars ("三星级 three-star", "★★★")
static void
s_split_grade (const char *grade, char **words_p, char **stars_p)
{
    const char *star = strstr (grade, "★");
    size_t length = star ? (size_t)(star - grade) : strlen (grade);
    while (length > 0 && grade[length - 1] == ' ')
        length--;
    *words_p = cf_mem_check (strndup (grade, length));
    *stars_p = cf_mem_check (strdup (star ? star : ""));
}

//  A field's value as the page shows it: scope items as a list, the
//  surveillance dates each "due by"
static char *
s_shown (const cf_seal_t *seal, cf_seal_field_t field)
{
    const char *value = cf_seal_value (seal, field);
    char *shown = NULL;
    if (field == CF_SEAL_SCOPE && strchr (value, '\n')) {
        size_t size = strlen (value) * 2 + 8;
        shown = cf_mem_check (calloc (1, size));
        strcat (shown, "• ");
        for (const char *cursor = value; *cursor; cursor++) {
            if (*cursor == '\n')
                strcat (shown, "\n• ");
            else
                strncat (shown, cursor, 1);
        }
    } else if (field == CF_SEAL_SURVEILLANCE) {
        if (!*value)
            return cf_mem_check (strdup ("无 none"));
        size_t size = strlen (value) * 3 + 64;
        shown = cf_mem_check (calloc (1, size));
        strcat (shown, "每次不晚于 each due by ");
        for (const char *cursor = value; *cursor; cursor++)
            strcat (shown, *cursor == ',' ? ", " : (char[]){*cursor, 0});
    } else if (field == CF_SEAL_GRADE) {
        char *stars = NULL;
        s_split_grade (value, &shown, &stars);
        free (stars);
    } else
        shown = cf_mem_check (strdup (value));
    return shown;
}

//  The field rows at size from y; draws them unless measuring; returns
//  where they end
static double
s_rows (cairo_t *cr, bool draw, const cf_seal_t *seal, double y, double size)
{
    double value_x = S_MARGIN + S_LABEL_WIDTH;
    double value_width = S_WIDTH - S_MARGIN - value_x;
    for (size_t field = 0; field < CF_SEAL_FIELD_COUNT; field++) {
        if (field == CF_SEAL_ISSUER)
            continue;  //  Shown in the bottom block, as the signer
        double label = s_text (cr, draw, S_MARGIN, y, S_LABEL_WIDTH - 8,
                               S_SERIF, false, size * 0.92, s_grey,
                               PANGO_ALIGN_LEFT, cf_seal_field_zh (field));
        label += s_text (cr, draw, S_MARGIN, y + label, S_LABEL_WIDTH - 8,
                         S_SERIF, false, size * 0.78, s_grey, PANGO_ALIGN_LEFT,
                         cf_seal_field_en (field));
        char *shown = s_shown (seal, field);
        bool strong = field == CF_SEAL_HOLDER || field == CF_SEAL_GRADE;
        double value = s_text (cr, draw, value_x, y, value_width, S_SERIF,
                               strong, strong ? size * 1.15 : size, s_ink,
                               PANGO_ALIGN_LEFT, shown);
        free (shown);
        if (field == CF_SEAL_GRADE) {
            char *words = NULL, *stars = NULL;
            s_split_grade (cf_seal_value (seal, field), &words, &stars);
            if (*stars)
                value +=
                    s_text (cr, draw, value_x, y + value, value_width, S_SERIF,
                            false, size * 2.0, s_gold, PANGO_ALIGN_LEFT, stars);
            free (words);
            free (stars);
        }
        y += (label > value ? label : value) + size * 0.55;
    }
    return y;
}

static void
s_frame (cairo_t *cr)
{
    cairo_set_source_rgb (cr, s_red[0], s_red[1], s_red[2]);
    cairo_set_line_width (cr, 2.4);
    cairo_rectangle (cr, 22, 22, S_WIDTH - 44, S_HEIGHT - 44);
    cairo_stroke (cr);
    cairo_set_line_width (cr, 0.8);
    cairo_rectangle (cr, 28, 28, S_WIDTH - 56, S_HEIGHT - 56);
    cairo_stroke (cr);
}

//  Draws the QR code of qr in a size square at x, y with its quiet zone
static void
s_qr (cairo_t *cr, const QRcode *qr, double x, double y, double size)
{
    double module = size / (qr->width + 8);
    cairo_set_source_rgb (cr, 1, 1, 1);
    cairo_rectangle (cr, x, y, size, size);
    cairo_fill (cr);
    cairo_set_source_rgb (cr, 0, 0, 0);
    for (int row = 0; row < qr->width; row++)
        for (int column = 0; column < qr->width; column++)
            if (qr->data[row * qr->width + column] & 1)
                cairo_rectangle (cr, x + (column + 4) * module,
                                 y + (row + 4) * module, module, module);
    cairo_fill (cr);
}

//  The link attribute for cairo_tag_begin: uri='...' with ' and \ escaped
static char *
s_link_attribute (const char *link)
{
    char *attribute = cf_mem_check (calloc (1, strlen (link) * 2 + 16));
    strcpy (attribute, "uri='");
    for (const char *cursor = link; *cursor; cursor++) {
        if (*cursor == '\'' || *cursor == '\\')
            strcat (attribute, "\\");
        strncat (attribute, cursor, 1);
    }
    strcat (attribute, "'");
    return attribute;
}

static void
s_bottom (cairo_t *cr, const cf_seal_t *seal, const QRcode *qr)
{
    double qr_x = S_WIDTH - S_MARGIN - S_QR_SIZE + 12;
    double y = S_BOTTOM;
    char *link = cf_seal_register_link (seal);
    char *attribute = s_link_attribute (link);
    cairo_tag_begin (cr, CAIRO_TAG_LINK, attribute);
    s_qr (cr, qr, qr_x, y, S_QR_SIZE);
    cairo_tag_end (cr, CAIRO_TAG_LINK);
    free (attribute);

    double width = qr_x - S_MARGIN - 12;
    double at = y + 10;
    at += s_text (cr, true, S_MARGIN, at, width, S_SERIF, false, 8.5, s_grey,
                  PANGO_ALIGN_LEFT, "发证机构 Issued by");
    at += s_text (cr, true, S_MARGIN, at, width, S_SERIF, true, 12.5, s_ink,
                  PANGO_ALIGN_LEFT, cf_seal_value (seal, CF_SEAL_ISSUER));
    at += 12;
    char *text = NULL;
    if (asprintf (&text,
                  "本证书由认证机构以 Ed25519 密钥 %s 签名，可离线验证：\n"
                  "Signed by the certification body's Ed25519 key %s; check "
                  "it offline with its public key:\n"
                  "certflow certificate verify FILE --key signing.pub",
                  cf_seal_key_id_of (seal), cf_seal_key_id_of (seal)) < 0)
        cf_mem_fail ();
    at += s_text (cr, true, S_MARGIN, at, width, S_SERIF, false, 7.5, s_ink,
                  PANGO_ALIGN_LEFT, text);
    free (text);
    at += 8;
    if (asprintf (&text,
                  "证书当前状态以公开查询为准，请扫描二维码：\n"
                  "Its status today (valid, suspended, withdrawn) is in the "
                  "public register; scan the QR code or open\n%s",
                  link) < 0)
        cf_mem_fail ();
    s_text (cr, true, S_MARGIN, at, width, S_SERIF, false, 7.5, s_ink,
            PANGO_ALIGN_LEFT, text);
    free (text);
    free (link);
}

//  Draws the whole page on cr
static void
s_page (cairo_t *cr, const cf_seal_t *seal, const QRcode *qr)
{
    s_frame (cr);
    double y = 50;
    double inner = S_WIDTH - 2 * S_MARGIN;
    y += s_text (cr, true, S_MARGIN, y, inner, S_SERIF, true, 30, s_red,
                 PANGO_ALIGN_CENTER, "认 证 证 书");
    y += s_text (cr, true, S_MARGIN, y, inner, S_SERIF, true, 15, s_red,
                 PANGO_ALIGN_CENTER, "CERTIFICATE");
    y += 2 + s_text (cr, true, S_MARGIN, y + 2, inner, S_SERIF, false, 9.5,
                     s_grey, PANGO_ALIGN_CENTER,
                     "售后服务认证 · After-sales service certification");
    char *text = NULL;
    if (asprintf (&text, "证书编号 Certificate No.  %s",
                  cf_seal_number (seal)) < 0)
        cf_mem_fail ();
    y += 10 + s_text (cr, true, S_MARGIN, y + 10, inner, S_SERIF, true, 13,
                      s_ink, PANGO_ALIGN_CENTER, text);
    free (text);
    const char *standard = cf_seal_value (seal, CF_SEAL_STANDARD);
    if (asprintf (&text,
                  "兹证明下列组织的商品售后服务符合 %s《商品售后服务评价体系》"
                  "，评价等级如下。\nThis is to certify that the after-sales "
                  "service of the organization below conforms to %s, at the "
                  "grade stated.",
                  standard, standard) < 0)
        cf_mem_fail ();
    y += 12 + s_text (cr, true, S_MARGIN, y + 12, inner, S_SERIF, false, 8.5,
                      s_ink, PANGO_ALIGN_CENTER, text);
    free (text);
    y += 14;
    cairo_set_source_rgb (cr, s_red[0], s_red[1], s_red[2]);
    cairo_set_line_width (cr, 0.6);
    cairo_move_to (cr, S_MARGIN, y - 7);
    cairo_line_to (cr, S_WIDTH - S_MARGIN, y - 7);
    cairo_stroke (cr);
    //  The largest size whose rows end above the bottom block
    double size = 11.0;
    while (size > 5.0 && s_rows (cr, false, seal, y, size) > S_BOTTOM - 8)
        size -= 0.25;
    s_rows (cr, true, seal, y, size);
    s_bottom (cr, seal, qr);
}

static QRcode *
s_encode (const char *payload)
{
    return QRcode_encodeData ((int)strlen (payload),
                              (const unsigned char *)payload, 0, QR_ECLEVEL_L);
}

int
cf_document_qr_width (const char *payload)
{
    assert (payload);
    QRcode *qr = s_encode (payload);
    int width = qr ? qr->width : 0;
    QRcode_free (qr);
    return width;
}

//  The process's umask, which mkstemp's 0600 would not follow
static mode_t
s_umask (void)
{
    mode_t mask = umask (022);
    umask (mask);
    return mask;
}

int
cf_document_pdf (const cf_seal_t *seal, const char *payload, const char *path,
                 cf_problems_t *problems)
{
    assert (seal && payload && path);
    QRcode *qr = s_encode (payload);
    if (!qr) {
        cf_problems_add (problems, "document.qr",
                         "the seal (%zu bytes) does not fit in a QR code: %s; "
                         "shorten the certificate's scope or addresses",
                         strlen (payload), strerror (errno));
        return CF_ELIMIT;
    }
    char *temp = NULL;
    if (asprintf (&temp, "%s.new-XXXXXX", path) < 0)
        cf_mem_fail ();
    int fd = mkstemp (temp);
    if (fd < 0) {
        cf_problems_add (problems, "document.io",
                         "cannot write beside %s: %s; choose a directory "
                         "you can write to",
                         path, strerror (errno));
        free (temp);
        QRcode_free (qr);
        return CF_EIO;
    }
    close (fd);
    cairo_surface_t *surface =
        cairo_pdf_surface_create (temp, S_WIDTH, S_HEIGHT);
    char *title = NULL;
    if (asprintf (&title, "认证证书 Certificate %s", cf_seal_number (seal)) < 0)
        cf_mem_fail ();
    char *keywords = cf_seal_keywords (payload);
    cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_AUTHOR,
                                    cf_seal_value (seal, CF_SEAL_ISSUER));
    cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_SUBJECT,
                                    cf_seal_value (seal, CF_SEAL_HOLDER));
    cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_KEYWORDS,
                                    keywords);
    cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR,
                                    "certflow");
    free (keywords);
    free (title);
    cairo_t *cr = cairo_create (surface);
    cairo_set_source_rgb (cr, 1, 1, 1);
    cairo_paint (cr);
    s_page (cr, seal, qr);
    cairo_show_page (cr);
    cairo_status_t status = cairo_status (cr);
    cairo_destroy (cr);
    cairo_surface_finish (surface);
    if (status == CAIRO_STATUS_SUCCESS)
        status = cairo_surface_status (surface);
    cairo_surface_destroy (surface);
    QRcode_free (qr);
    //  The font caches Pango, Cairo and fontconfig keep for the process:
    //  one document a run, so they are given back (and a leak checker sees
    //  only what is ours)
    pango_cairo_font_map_set_default (NULL);
    cairo_debug_reset_static_data ();
    FcFini ();
    int rc = 0;
    if (status != CAIRO_STATUS_SUCCESS) {
        cf_problems_add (problems, "document.io", "cannot write %s: %s", temp,
                         cairo_status_to_string (status));
        rc = CF_EIO;
    } else if (chmod (temp, 0666 & ~s_umask ()) != 0 ||
               rename (temp, path) != 0) {
        cf_problems_add (problems, "document.io", "cannot write %s: %s", path,
                         strerror (errno));
        rc = CF_EIO;
    }
    if (rc)
        unlink (temp);
    free (temp);
    return rc;
}
