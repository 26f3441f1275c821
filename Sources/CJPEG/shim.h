// libjpeg-turbo (Debian's libjpeg62-turbo-dev) behind two calls that report
// every failure as a return value. libjpeg's default error handler calls
// exit(); the handler here jumps back with longjmp, but only ever to the
// setjmp at the top of the same C function, so no Swift frame lies between
// the two and Swift code never sees a jump. Warnings (a truncated or corrupt
// stream, which libjpeg would silently fill with grey) count as failures.
#ifndef DIFFRAY_CJPEG_SHIM_H
#define DIFFRAY_CJPEG_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    /// The decompressor whose input position is reported, or NULL.
    j_decompress_ptr reader;
    unsigned long size;
    /// Bytes consumed when the failure (or first warning) happened.
    unsigned long offset;
} diffray_jpeg_error;

static void diffray_jpeg_note_offset(j_common_ptr cinfo) {
    diffray_jpeg_error *e = (diffray_jpeg_error *)cinfo->err;
    if (e->reader != NULL && e->reader->src != NULL) {
        e->offset = e->size - (unsigned long)e->reader->src->bytes_in_buffer;
    }
}

static void diffray_jpeg_error_exit(j_common_ptr cinfo) {
    diffray_jpeg_error *e = (diffray_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    diffray_jpeg_note_offset(cinfo);
    longjmp(e->jump, 1);
}

/// Level −1 is a warning about the data: a failure here, so it stops the decoding at
/// once (a corrupt header of a large progressive image would otherwise have every
/// scanline decoded before the warning is looked at) with the warning's text and place.
static void diffray_jpeg_emit_message(j_common_ptr cinfo, int level) {
    diffray_jpeg_error *e = (diffray_jpeg_error *)cinfo->err;
    if (level < 0) {
        (*cinfo->err->format_message)(cinfo, e->message);
        diffray_jpeg_note_offset(cinfo);
        e->base.num_warnings++;
        longjmp(e->jump, 1);
    }
}

static void diffray_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void diffray_jpeg_install(diffray_jpeg_error *e) {
    jpeg_std_error(&e->base);
    e->base.error_exit = diffray_jpeg_error_exit;
    e->base.emit_message = diffray_jpeg_emit_message;
    e->base.output_message = diffray_jpeg_output_message;
    e->message[0] = 0;
    e->reader = NULL;
    e->offset = 0;
}

/// Decodes a JPEG held in memory to 8-bit RGB (3 components) or grey (1),
/// rows top first, into a buffer from malloc (*pixels; the caller frees it).
/// Images of more than max_pixels pixels are refused after the header is read,
/// before the pixel buffer is allocated. Returns 0 on success; otherwise
/// *pixels is NULL, message holds libjpeg's text (or the shim's) and *offset
/// the number of bytes read when it failed.
static inline int diffray_jpeg_decode(const unsigned char *data, unsigned long size, unsigned long max_pixels,
                                      unsigned char **pixels, int *width, int *height, int *components,
                                      char *message, size_t message_size, unsigned long *offset) {
    struct jpeg_decompress_struct cinfo;
    diffray_jpeg_error err;
    unsigned char *volatile out = NULL;
    *pixels = NULL;
    *offset = 0;
    memset(&cinfo, 0, sizeof cinfo);
    diffray_jpeg_install(&err);
    err.reader = &cinfo;
    err.size = size;
    cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        free(out);
        jpeg_destroy_decompress(&cinfo);
        if (err.base.num_warnings > 0) {
            snprintf(message, message_size, "corrupt or truncated JPEG data (libjpeg: %s)", err.message);
        } else {
            snprintf(message, message_size, "%s", err.message);
        }
        *offset = err.offset;
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.num_components == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else if (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB) {
        cinfo.out_color_space = JCS_RGB;
    } else {
        snprintf(message, message_size, "unsupported JPEG colour space %d (expected grey, RGB or YCbCr; CMYK is not read)",
                 (int)cinfo.jpeg_color_space);
        *offset = size - (unsigned long)cinfo.src->bytes_in_buffer;
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    if ((unsigned long)cinfo.image_width * (unsigned long)cinfo.image_height > max_pixels) {
        snprintf(message, message_size, "JPEG of %ux%u pixels is over the limit of %lu pixels",
                 (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, max_pixels);
        *offset = size - (unsigned long)cinfo.src->bytes_in_buffer;
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    out = (unsigned char *)malloc(stride * cinfo.output_height + 1);
    if (out == NULL) {
        snprintf(err.message, sizeof err.message, "out of memory for a %ux%u JPEG",
                 (unsigned)cinfo.output_width, (unsigned)cinfo.output_height);
        longjmp(err.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    *width = (int)cinfo.output_width;
    *height = (int)cinfo.output_height;
    *components = cinfo.output_components;
    *pixels = out;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/// Encodes 8-bit RGB rows (top first) as a baseline JPEG of the given
/// quality (1...100) into a buffer from malloc (*bytes, *size; the caller
/// frees it). Returns 0 on success, else message holds libjpeg's text.
static inline int diffray_jpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                                      unsigned char **bytes, unsigned long *size, char *message, size_t message_size) {
    struct jpeg_compress_struct cinfo;
    diffray_jpeg_error err;
    unsigned char *volatile buffer = NULL;
    unsigned long length = 0;
    *bytes = NULL;
    *size = 0;
    memset(&cinfo, 0, sizeof cinfo);
    diffray_jpeg_install(&err);
    cinfo.err = &err.base;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        snprintf(message, message_size, "%s", err.message);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buffer, &length);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *bytes = buffer;
    *size = length;
    return 0;
}

#endif
