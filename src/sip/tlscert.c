/*
 * tlscert.c - the certificate SIP over TLS is served with when none is
 * configured: a self-signed one (EC P-256, SHA-256, ten years, the
 * listening host as CN and subjectAltName), made once and kept with the
 * data (DATA/tls/sip.pem, mode 0600, key and certificate in one PEM file)
 * so phones that were told to trust it keep trusting it.
 */
#include "sip/sip_internal.h"
#include "core/log.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return EINVAL;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : EINVAL;
}

static X509 *self_signed(EVP_PKEY *key, const char *host)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    char san[160];
    struct sa sa;
    bool ip = sa_set_str(&sa, host, 0) == 0;
    snprintf(san, sizeof(san), "%s:%s", ip ? "IP" : "DNS", host);
    X509_NAME *name = X509_get_subject_name(x);
    bool ok = X509_set_version(x, 2) &&
              ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(time(NULL) & 0x7fffffff)) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600) &&
              X509_set_pubkey(x, key) &&
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                         (const unsigned char *)"Switchboard", -1, -1, 0) &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)host, -1,
                                         -1, 0) &&
              X509_set_issuer_name(x, name) && add_ext(x, NID_subject_alt_name, san) == 0 &&
              add_ext(x, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
              X509_sign(x, key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int sip_tls_selfsigned(const char *dir, const char *host, char *path, size_t size)
{
    char tlsdir[1024];
    snprintf(tlsdir, sizeof(tlsdir), "%s/tls", dir);
    if (mkdir(tlsdir, 0700) != 0 && errno != EEXIST)
        return errno;
    int n = snprintf(path, size, "%s/sip.pem", tlsdir);
    if (n < 0 || (size_t)n >= size)
        return ENAMETOOLONG;
    if (access(path, R_OK) == 0)
        return 0; /* made before: keep it */
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? self_signed(key, host) : NULL;
    int err = x ? 0 : EINVAL;
    char tmp[1100];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = err ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!err && !f)
        err = errno ? errno : EIO;
    if (!err && (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) || !PEM_write_X509(f, x)))
        err = EIO;
    if (f && fclose(f) != 0 && !err)
        err = errno;
    else if (!f && fd >= 0)
        close(fd);
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err)
        unlink(tmp);
    X509_free(x);
    EVP_PKEY_free(key);
    if (!err)
        log_info("sip", "made a self-signed TLS certificate", "file=%s cn=%s", path, host);
    return err;
}
