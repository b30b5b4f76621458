/*
 * vouch's C interface, exercised from C: every function, its success path,
 * each class of failure, NULL arguments and short buffers, and whole-chain
 * verification of the fixtures that `cargo run -p vouch-ffi --example
 * make_fixtures -- DIR` writes, pins in both forms, and the trusted roster
 * state refusing a rollback. Sharing handles between threads is
 * test_threads.c's part.
 *
 *   usage: test_vouch FIXTURES_DIR
 *
 * Prints one line per failed check and ends with "N passed, N failed";
 * exits 0 only when nothing failed. scripts/c-test.sh builds and runs it
 * (also under valgrind). Everything it allocates is freed, so valgrind's
 * leak check is meaningful.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch.h"

static int passed;
static int failed;
static const char *fixtures;

static const char *code_name(vouch_result code) {
    static char buf[160];
    if (vouch_result_message(code, buf, sizeof buf, NULL) != VOUCH_RESULT_OK) {
        return "(message did not fit)";
    }
    return buf;
}

static void report(int ok, const char *file, int line, const char *what) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    char detail[1024];
    vouch_last_error_message(detail, sizeof detail, NULL);
    fprintf(stderr, "%s:%d: FAILED: %s\n    last error: %s\n", file, line, what, detail);
}

#define CHECK(cond) report((cond) ? 1 : 0, __FILE__, __LINE__, #cond)

/* Checks that `expr` returns `want`; on a mismatch prints both. */
#define CHECK_RC(expr, want)                                                          \
    do {                                                                              \
        vouch_result got_ = (expr);                                                   \
        if (got_ != (want)) {                                                         \
            fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u\n", __FILE__,    \
                    __LINE__, #expr, (unsigned)got_, code_name(got_), (unsigned)(want)); \
        }                                                                             \
        report(got_ == (want), __FILE__, __LINE__, #expr " == " #want);               \
    } while (0)

/* ---- small helpers --------------------------------------------------------- */

static char *path_of(const char *name) {
    size_t n = strlen(fixtures) + 1 + strlen(name) + 1;
    char *p = malloc(n);
    if (p == NULL) {
        abort();
    }
    snprintf(p, n, "%s/%s", fixtures, name);
    return p;
}

/* Reads a fixture file whole; the buffer is NUL-terminated (not counted). */
static uint8_t *read_fixture(const char *name, size_t *len) {
    char *path = path_of(name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    free(path);
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            abort();
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) {
            break;
        }
        cap *= 2;
        buf = realloc(buf, cap);
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static char *read_text(const char *name) {
    size_t len;
    return (char *)read_fixture(name, &len);
}

static void to_hex(const uint8_t *b, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int from_hex(const char *hex, uint8_t *out, size_t n) {
    if (strlen(hex) != 2 * n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            return 0;
        }
        out[i] = (uint8_t)v;
    }
    return 1;
}

static const uint8_t *find(const uint8_t *hay, size_t hay_len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return hay + i;
        }
    }
    return NULL;
}

static int bytes_contain(const vouch_bytes *b, const char *needle) {
    return find(vouch_bytes_data(b), vouch_bytes_len(b), needle) != NULL;
}

/* Whether the calling thread's last error message contains `needle`. */
static int last_error_contains(const char *needle) {
    char detail[1024];
    vouch_last_error_message(detail, sizeof detail, NULL);
    return strstr(detail, needle) != NULL;
}

/* ---- version, messages, last error ------------------------------------------ */

static void test_version_and_messages(void) {
    const char *v = vouch_version();
    CHECK(v != NULL && strncmp(v, "vouch-ffi/", 10) == 0);

    char buf[256];
    size_t written = 0;
    CHECK_RC(vouch_result_message(VOUCH_RESULT_OK, buf, sizeof buf, &written), VOUCH_RESULT_OK);
    CHECK(strcmp(buf, "success") == 0 && written == 7);
    for (uint32_t code = 0; code <= VOUCH_RESULT_SIGN_FAILED; code++) {
        CHECK_RC(vouch_result_message(code, buf, sizeof buf, &written), VOUCH_RESULT_OK);
        CHECK(written > 0 && strlen(buf) == written);
    }
    CHECK_RC(vouch_result_message(4000000000u, buf, sizeof buf, NULL), VOUCH_RESULT_OK);
    CHECK(strcmp(buf, "unknown vouch_result code 4000000000") == 0);

    /* Short buffers: truncated, NUL-terminated, full length reported. */
    memset(buf, 'x', sizeof buf);
    CHECK_RC(vouch_result_message(VOUCH_RESULT_OK, buf, 4, &written), VOUCH_RESULT_BUFFER_TOO_SHORT);
    CHECK(strcmp(buf, "suc") == 0 && written == 7);
    CHECK_RC(vouch_result_message(VOUCH_RESULT_OK, buf, 7, &written), VOUCH_RESULT_BUFFER_TOO_SHORT);
    CHECK(strcmp(buf, "succes") == 0);
    CHECK_RC(vouch_result_message(VOUCH_RESULT_OK, buf, 8, &written), VOUCH_RESULT_OK);
    /* A size query, then a buffer of exactly the size needed. */
    written = 0;
    CHECK_RC(vouch_result_message(VOUCH_RESULT_ROSTER, NULL, 0, &written), VOUCH_RESULT_BUFFER_TOO_SHORT);
    char *exact = malloc(written + 1);
    CHECK_RC(vouch_result_message(VOUCH_RESULT_ROSTER, exact, written + 1, NULL), VOUCH_RESULT_OK);
    CHECK(strlen(exact) == written);
    free(exact);
    CHECK_RC(vouch_result_message(VOUCH_RESULT_OK, NULL, 10, &written), VOUCH_RESULT_NULL_PARAMETER);

    /* The last error names what went wrong; success clears it. */
    uint8_t out[32];
    CHECK_RC(vouch_digest_sha256(NULL, 5, out), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_last_error_message(buf, sizeof buf, &written), VOUCH_RESULT_OK);
    CHECK(strcmp(buf, "data is NULL") == 0 && written == strlen(buf));
    CHECK_RC(vouch_last_error_message(buf, 3, &written), VOUCH_RESULT_BUFFER_TOO_SHORT);
    CHECK(strcmp(buf, "da") == 0 && written == 12);
    CHECK_RC(vouch_digest_sha256((const uint8_t *)"x", 1, out), VOUCH_RESULT_OK);
    CHECK_RC(vouch_last_error_message(buf, sizeof buf, &written), VOUCH_RESULT_OK);
    CHECK(buf[0] == 0 && written == 0);
}

/* ---- digests ------------------------------------------------------------------ */

static void test_digests(void) {
    uint8_t out[32];
    char hex[65];
    CHECK_RC(vouch_digest_sha256((const uint8_t *)"hello world", 11, out), VOUCH_RESULT_OK);
    to_hex(out, 32, hex);
    CHECK(strcmp(hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9") == 0);
    CHECK_RC(vouch_digest_sha256(NULL, 0, out), VOUCH_RESULT_OK);
    to_hex(out, 32, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    CHECK_RC(vouch_digest_sha256((const uint8_t *)"x", 1, NULL), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_digest_sha256((const uint8_t *)"x", SIZE_MAX, out), VOUCH_RESULT_INVALID_LENGTH);

    /* A file's digest is the digest of its bytes. */
    size_t len;
    uint8_t *bundle = read_fixture("bundle.cbor", &len);
    uint8_t mem[32];
    CHECK_RC(vouch_digest_sha256(bundle, len, mem), VOUCH_RESULT_OK);
    free(bundle);
    char *path = path_of("bundle.cbor");
    CHECK_RC(vouch_digest_file(path, out), VOUCH_RESULT_OK);
    CHECK(memcmp(out, mem, 32) == 0);
    CHECK_RC(vouch_digest_file(path, NULL), VOUCH_RESULT_NULL_PARAMETER);
    free(path);
    path = path_of("no-such-file");
    CHECK_RC(vouch_digest_file(path, out), VOUCH_RESULT_IO);
    free(path);
    CHECK_RC(vouch_digest_file(NULL, out), VOUCH_RESULT_NULL_PARAMETER);
}

/* ---- signing and envelopes ------------------------------------------------------ */

static void test_envelopes(void) {
    char *key_path = path_of("signer.key");
    size_t ref_len = strlen(key_path) + 6;
    char *keyref = malloc(ref_len);
    snprintf(keyref, ref_len, "file:%s", key_path);
    free(key_path);

    vouch_signer *signer = (vouch_signer *)&passed; /* garbage: must become NULL or a signer */
    CHECK_RC(vouch_signer_open(keyref, &signer), VOUCH_RESULT_OK);
    CHECK(signer != NULL);

    uint8_t kid[32];
    char kid_hex[65];
    char *expected_kid = read_text("signer.keyid");
    CHECK_RC(vouch_signer_key_id(signer, kid), VOUCH_RESULT_OK);
    to_hex(kid, 32, kid_hex);
    CHECK(strcmp(kid_hex, expected_kid) == 0);

    /* Sign, then verify with the public key file (an OpenSSH line). */
    const char *payload = "release shop-api 1.4.0";
    vouch_bytes *env = NULL;
    CHECK_RC(vouch_envelope_sign(signer, (const uint8_t *)payload, strlen(payload), "text/plain", &env),
             VOUCH_RESULT_OK);
    CHECK(env != NULL && vouch_bytes_len(env) > strlen(payload));

    size_t pub_len;
    uint8_t *pub = read_fixture("signer.pub", &pub_len);
    vouch_verified *v = NULL;
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), vouch_bytes_len(env), pub, pub_len, &v),
             VOUCH_RESULT_OK);
    const uint8_t *data = NULL;
    size_t data_len = 0;
    CHECK_RC(vouch_verified_payload(v, &data, &data_len), VOUCH_RESULT_OK);
    CHECK(data_len == strlen(payload) && memcmp(data, payload, data_len) == 0);
    CHECK(vouch_verified_key_id_count(v) == 1);
    uint8_t signer_kid[32];
    CHECK_RC(vouch_verified_key_id(v, 0, signer_kid), VOUCH_RESULT_OK);
    CHECK(memcmp(signer_kid, kid, 32) == 0);
    CHECK_RC(vouch_verified_key_id(v, 1, signer_kid), VOUCH_RESULT_BAD_ARGUMENT);
    CHECK_RC(vouch_verified_key_id(v, 0, NULL), VOUCH_RESULT_NULL_PARAMETER);
    char ct[16];
    size_t ct_len = 0;
    CHECK_RC(vouch_verified_content_type(v, ct, sizeof ct, &ct_len), VOUCH_RESULT_OK);
    CHECK(strcmp(ct, "text/plain") == 0 && ct_len == 10);
    CHECK_RC(vouch_verified_content_type(v, ct, 5, &ct_len), VOUCH_RESULT_BUFFER_TOO_SHORT);
    CHECK(strcmp(ct, "text") == 0 && ct_len == 10);
    CHECK_RC(vouch_verified_payload(v, NULL, &data_len), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verified_payload(v, &data, NULL), VOUCH_RESULT_NULL_PARAMETER);
    vouch_verified_free(v);

    /* The signer's own public key line verifies too. */
    vouch_bytes *line = NULL;
    CHECK_RC(vouch_signer_public_key(signer, &line), VOUCH_RESULT_OK);
    CHECK(strncmp((const char *)vouch_bytes_data(line), "ssh-ed25519 ", 12) == 0);
    v = NULL;
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), vouch_bytes_len(env), vouch_bytes_data(line),
                                   vouch_bytes_len(line), &v),
             VOUCH_RESULT_OK);
    vouch_verified_free(v);
    vouch_bytes_free(line);

    /* Failure classes: another key, a tampered envelope, junk. */
    size_t other_len;
    uint8_t *other = read_fixture("other.pub", &other_len);
    v = (vouch_verified *)&passed;
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), vouch_bytes_len(env), other, other_len, &v),
             VOUCH_RESULT_VERIFY_FAILED);
    CHECK(v == NULL);
    free(other);

    size_t env_len = vouch_bytes_len(env);
    uint8_t *tampered = malloc(env_len);
    memcpy(tampered, vouch_bytes_data(env), env_len);
    uint8_t *at = (uint8_t *)find(tampered, env_len, payload);
    CHECK(at != NULL);
    if (at != NULL) {
        at[0] ^= 1;
    }
    CHECK_RC(vouch_envelope_verify(tampered, env_len, pub, pub_len, &v), VOUCH_RESULT_VERIFY_FAILED);
    CHECK_RC(vouch_envelope_verify(tampered, 3, pub, pub_len, &v), VOUCH_RESULT_PARSE);
    CHECK_RC(vouch_envelope_verify((const uint8_t *)"junk", 4, pub, pub_len, &v), VOUCH_RESULT_PARSE);
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), env_len, (const uint8_t *)"not a key", 9, &v),
             VOUCH_RESULT_PARSE);
    free(tampered);

    /* NULL arguments and impossible lengths. */
    CHECK_RC(vouch_envelope_verify(NULL, 10, pub, pub_len, &v), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), env_len, NULL, 1, &v), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), env_len, pub, pub_len, NULL),
             VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(env), SIZE_MAX, pub, pub_len, &v),
             VOUCH_RESULT_INVALID_LENGTH);
    CHECK_RC(vouch_verified_payload(NULL, &data, &data_len), VOUCH_RESULT_NULL_PARAMETER);
    CHECK(vouch_verified_key_id_count(NULL) == 0);
    vouch_bytes *out = NULL;
    CHECK_RC(vouch_envelope_sign(NULL, (const uint8_t *)"x", 1, "text/plain", &out), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_sign(signer, NULL, 1, "text/plain", &out), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_sign(signer, (const uint8_t *)"x", 1, NULL, &out), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_sign(signer, (const uint8_t *)"x", 1, "text/plain", NULL),
             VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_envelope_sign(signer, (const uint8_t *)"x", 1, "no-slash", &out), VOUCH_RESULT_BAD_ARGUMENT);
    CHECK(out == NULL);
    CHECK_RC(vouch_signer_key_id(NULL, kid), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_signer_public_key(signer, NULL), VOUCH_RESULT_NULL_PARAMETER);

    /* An empty payload is a payload. */
    CHECK_RC(vouch_envelope_sign(signer, NULL, 0, "application/octet-stream", &out), VOUCH_RESULT_OK);
    CHECK_RC(vouch_envelope_verify(vouch_bytes_data(out), vouch_bytes_len(out), pub, pub_len, &v),
             VOUCH_RESULT_OK);
    CHECK_RC(vouch_verified_payload(v, &data, &data_len), VOUCH_RESULT_OK);
    CHECK(data_len == 0);
    vouch_verified_free(v);
    vouch_bytes_free(out);

    free(pub);
    vouch_bytes_free(env);
    vouch_signer_free(signer);

    /* Opening keys: each failure class. */
    vouch_signer *s = NULL;
    CHECK_RC(vouch_signer_open(NULL, &s), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_signer_open(keyref, NULL), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_signer_open("file:/nonexistent/vouch/key", &s), VOUCH_RESULT_IO);
    CHECK_RC(vouch_signer_open("pkcs11:token=x", &s), VOUCH_RESULT_BAD_ARGUMENT);
    CHECK_RC(vouch_signer_open("tpm:0x81000001", &s), VOUCH_RESULT_KEY_ERROR);
    CHECK(s == NULL);
    free(keyref);

    char *enc_path = path_of("encrypted.key");
    ref_len = strlen(enc_path) + 6;
    char *enc_ref = malloc(ref_len);
    snprintf(enc_ref, ref_len, "file:%s", enc_path);
    free(enc_path);
    char *passphrase = read_text("passphrase.txt");
    CHECK_RC(vouch_signer_open(enc_ref, &s), VOUCH_RESULT_PASSPHRASE);
    CHECK_RC(vouch_signer_open_with_passphrase(enc_ref, (const uint8_t *)"wrong", 5, &s),
             VOUCH_RESULT_PASSPHRASE);
    CHECK_RC(vouch_signer_open_with_passphrase(enc_ref, NULL, 5, &s), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_signer_open_with_passphrase(enc_ref, (const uint8_t *)passphrase, strlen(passphrase), &s),
             VOUCH_RESULT_OK);
    CHECK(s != NULL);
    CHECK_RC(vouch_envelope_sign(s, (const uint8_t *)"{}", 2, "application/json", &out), VOUCH_RESULT_OK);
    vouch_bytes_free(out);
    vouch_signer_free(s);
    free(passphrase);
    free(enc_ref);
    free(expected_kid);
}

/* ---- whole-chain verification --------------------------------------------------- */

struct chain {
    uint8_t *policy;
    size_t policy_len;
    uint8_t *roster;
    size_t roster_len;
    uint8_t *roster_v1; /* the roster file cut back to version 1 */
    size_t roster_v1_len;
    char *pin_text; /* "sha256:<hex>" of version 1 */
    uint8_t pin[32];
    uint8_t *bundle;
    size_t bundle_len;
    char *target;
    char *image_target;
    char *missing_target;
    long long made_at;
};

static void load_chain(struct chain *c) {
    c->policy = read_fixture("policy.toml", &c->policy_len);
    c->roster = read_fixture("roster.cbor", &c->roster_len);
    c->roster_v1 = read_fixture("roster-v1.cbor", &c->roster_v1_len);
    c->pin_text = read_text("roster.pin");
    if (strncmp(c->pin_text, "sha256:", 7) != 0 || !from_hex(c->pin_text + 7, c->pin, 32)) {
        fprintf(stderr, "roster.pin is not sha256:<hex>\n");
        exit(2);
    }
    c->bundle = read_fixture("bundle.cbor", &c->bundle_len);
    c->target = read_text("target.txt");
    c->image_target = read_text("image-target.txt");
    c->missing_target = read_text("missing-target.txt");
    char *made_at = read_text("made-at.txt");
    c->made_at = strtoll(made_at, NULL, 10);
    free(made_at);
}

static void free_chain(struct chain *c) {
    free(c->policy);
    free(c->roster);
    free(c->roster_v1);
    free(c->pin_text);
    free(c->bundle);
    free(c->target);
    free(c->image_target);
    free(c->missing_target);
}

static void test_chain(void) {
    struct chain c;
    load_chain(&c);
    long long at = c.made_at + 60;

    vouch_verifier *verifier = (vouch_verifier *)&passed;
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, sizeof c.pin, &verifier),
             VOUCH_RESULT_OK);
    CHECK(verifier != NULL);
    CHECK(vouch_verifier_roster_version(verifier) == 2);

    /* The deployment passes, now and at a given time; its image alone does
       not (the policy has a deployment stage that it would skip). */
    vouch_verdict *verdict = NULL;
    CHECK_RC(vouch_verifier_verify(verifier, c.bundle, c.bundle_len, c.target, &verdict), VOUCH_RESULT_OK);
    CHECK(vouch_verdict_passed(verdict));
    CHECK(vouch_verdict_failure_count(verdict) == 0);
    vouch_bytes *json = NULL;
    CHECK_RC(vouch_verdict_trace_json(verdict, &json), VOUCH_RESULT_OK);
    CHECK(bytes_contain(json, "\"outcome\": \"pass\""));
    CHECK(bytes_contain(json, "\"kind\": \"deployment\""));
    CHECK(bytes_contain(json, "\"name\": \"production/eu-1/shop/api\""));
    CHECK(bytes_contain(json, "\"identity\": \"workload:ci/deploy\""));
    CHECK(bytes_contain(json, "\"capacity\": \"authorized by\""));
    CHECK(bytes_contain(json, "\"identity\": \"person:erin@example.com\""));
    CHECK(bytes_contain(json, "\"identity\": \"workload:ci/build\""));
    CHECK(bytes_contain(json, "\"kind\": \"release\""));
    CHECK(bytes_contain(json, "\"user_present\": true"));
    /* The JSON is usable as a C string. */
    CHECK(strlen((const char *)vouch_bytes_data(json)) == vouch_bytes_len(json));
    vouch_bytes_free(json);
    vouch_bytes *text = NULL;
    CHECK_RC(vouch_verdict_text(verdict, &text), VOUCH_RESULT_OK);
    CHECK(strncmp((const char *)vouch_bytes_data(text), "verdict: PASS", 13) == 0);
    vouch_bytes_free(text);
    vouch_verdict_free(verdict);

    CHECK_RC(vouch_verifier_verify_at(verifier, c.bundle, c.bundle_len, c.target, at, &verdict), VOUCH_RESULT_OK);
    CHECK(vouch_verdict_passed(verdict));
    vouch_verdict_free(verdict);
    CHECK_RC(vouch_verifier_verify_at(verifier, c.bundle, c.bundle_len, c.image_target, at, &verdict),
             VOUCH_RESULT_OK);
    CHECK(!vouch_verdict_passed(verdict));
    CHECK_RC(vouch_verdict_trace_json(verdict, &json), VOUCH_RESULT_OK);
    CHECK(bytes_contain(json, "\"kind\": \"target-not-deployment\""));
    vouch_bytes_free(json);
    vouch_verdict_free(verdict);

    /* A deployment that is not in the bundle: evaluated, and refused. */
    CHECK_RC(vouch_verifier_verify_at(verifier, c.bundle, c.bundle_len, c.missing_target, at, &verdict),
             VOUCH_RESULT_OK);
    CHECK(!vouch_verdict_passed(verdict));
    CHECK(vouch_verdict_failure_count(verdict) == 1);
    CHECK_RC(vouch_verdict_trace_json(verdict, &json), VOUCH_RESULT_OK);
    CHECK(bytes_contain(json, "\"outcome\": \"fail\""));
    CHECK(bytes_contain(json, "\"kind\": \"deployment-missing\""));
    vouch_bytes_free(json);
    vouch_verdict_free(verdict);

    /* A month later the deployment statement is too old. */
    CHECK_RC(vouch_verifier_verify_at(verifier, c.bundle, c.bundle_len, c.target, at + 30 * 86400, &verdict),
             VOUCH_RESULT_OK);
    CHECK(!vouch_verdict_passed(verdict));
    CHECK_RC(vouch_verdict_trace_json(verdict, &json), VOUCH_RESULT_OK);
    CHECK(bytes_contain(json, "\"kind\": \"too-old\""));
    vouch_bytes_free(json);
    vouch_verdict_free(verdict);

    /* Inputs that cannot be evaluated: the verdict stays NULL. */
    verdict = (vouch_verdict *)&passed;
    CHECK_RC(vouch_verifier_verify_at(verifier, (const uint8_t *)"junk", 4, c.target, at, &verdict),
             VOUCH_RESULT_BUNDLE);
    CHECK(verdict == NULL);
    CHECK_RC(vouch_verifier_verify_at(verifier, c.bundle, c.bundle_len, "deployment:sha1:00", at, &verdict),
             VOUCH_RESULT_TARGET);
    CHECK_RC(vouch_verifier_verify_at(verifier, c.bundle, c.bundle_len, c.target, INT64_MAX, &verdict),
             VOUCH_RESULT_BAD_ARGUMENT);
    CHECK_RC(vouch_verifier_verify(NULL, c.bundle, c.bundle_len, c.target, &verdict), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_verify(verifier, NULL, 1, c.target, &verdict), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_verify(verifier, c.bundle, c.bundle_len, NULL, &verdict), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_verify(verifier, c.bundle, c.bundle_len, c.target, NULL), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_verify(verifier, c.bundle, SIZE_MAX, c.target, &verdict), VOUCH_RESULT_INVALID_LENGTH);
    CHECK(!vouch_verdict_passed(NULL));
    CHECK(vouch_verdict_failure_count(NULL) == 0);
    CHECK_RC(vouch_verdict_trace_json(NULL, &json), VOUCH_RESULT_NULL_PARAMETER);
    CHECK(json == NULL);

    vouch_verifier_free(verifier);

    /* Making verifiers: the pin as text, each failure class. */
    const uint8_t *text_pin = (const uint8_t *)c.pin_text;
    size_t text_len = strlen(c.pin_text);
    CHECK(text_len == 71);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, text_pin, text_len, &verifier),
             VOUCH_RESULT_OK);
    vouch_verifier_free(verifier);
    c.pin[0] ^= 1; /* no version has this digest */
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, 32, &verifier),
             VOUCH_RESULT_ROSTER);
    CHECK(verifier == NULL);
    c.pin[0] ^= 1;
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, NULL, 0, &verifier),
             VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, NULL, 32, &verifier),
             VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, 31, &verifier),
             VOUCH_RESULT_INVALID_LENGTH);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, text_pin, 70, &verifier),
             VOUCH_RESULT_INVALID_LENGTH);
    const char *not_a_pin = "sha256:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, (const uint8_t *)not_a_pin,
                                strlen(not_a_pin), &verifier),
             VOUCH_RESULT_BAD_ARGUMENT);
    const char *bad_policy = "[deployment]\nsigners = 3\n";
    CHECK_RC(vouch_verifier_new((const uint8_t *)bad_policy, strlen(bad_policy), c.roster, c.roster_len, c.pin, 32,
                                &verifier),
             VOUCH_RESULT_POLICY);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, (const uint8_t *)"junk", 4, c.pin, 32, &verifier),
             VOUCH_RESULT_ROSTER);
    c.roster[c.roster_len - 1] ^= 1; /* a signature byte of the newest version */
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, 32, &verifier),
             VOUCH_RESULT_ROSTER);
    c.roster[c.roster_len - 1] ^= 1;
    CHECK_RC(vouch_verifier_new(NULL, 1, c.roster, c.roster_len, c.pin, 32, &verifier), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, NULL, 1, c.pin, 32, &verifier), VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_new(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, 32, NULL),
             VOUCH_RESULT_NULL_PARAMETER);

    /* Trusted state: the first run records version 2 ... */
    CHECK_RC(vouch_verifier_new_with_state(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, 32, NULL, 0, 0,
                                           &verifier),
             VOUCH_RESULT_OK);
    vouch_bytes *state = NULL;
    CHECK_RC(vouch_verifier_state(verifier, &state), VOUCH_RESULT_OK);
    vouch_verifier_free(verifier);
    CHECK(bytes_contain(state, c.pin_text));
    CHECK(bytes_contain(state, "\"version\": 2"));
    const uint8_t *st = vouch_bytes_data(state);
    size_t st_len = vouch_bytes_len(state);
    /* ... after which the pin may be left out, and version 1 is a rollback. */
    CHECK_RC(vouch_verifier_new_with_state(c.policy, c.policy_len, c.roster, c.roster_len, NULL, 0, st, st_len, 2,
                                           &verifier),
             VOUCH_RESULT_OK);
    CHECK(vouch_verifier_roster_version(verifier) == 2);
    vouch_verifier_free(verifier);
    verifier = (vouch_verifier *)&passed;
    CHECK_RC(vouch_verifier_new_with_state(c.policy, c.policy_len, c.roster_v1, c.roster_v1_len, c.pin, 32, st,
                                           st_len, 0, &verifier),
             VOUCH_RESULT_ROSTER);
    CHECK(verifier == NULL);
    CHECK(last_error_contains("rollback"));
    /* Statelessly, a minimum version refuses the old file. */
    CHECK_RC(vouch_verifier_new_with_state(c.policy, c.policy_len, c.roster_v1, c.roster_v1_len, c.pin, 32, NULL, 0,
                                           2, &verifier),
             VOUCH_RESULT_ROSTER);
    /* No pin and nothing in the state; a state that is not one. */
    CHECK_RC(vouch_verifier_new_with_state(c.policy, c.policy_len, c.roster, c.roster_len, NULL, 0, NULL, 0, 0,
                                           &verifier),
             VOUCH_RESULT_NULL_PARAMETER);
    CHECK_RC(vouch_verifier_new_with_state(c.policy, c.policy_len, c.roster, c.roster_len, c.pin, 32,
                                           (const uint8_t *)"{}", 2, 0, &verifier),
             VOUCH_RESULT_PARSE);
    vouch_bytes_free(state);
    state = (vouch_bytes *)&passed;
    CHECK_RC(vouch_verifier_state(NULL, &state), VOUCH_RESULT_NULL_PARAMETER);
    CHECK(state == NULL);
    free_chain(&c);
}


/* ---- freeing NULL ------------------------------------------------------------------ */

static void test_free_null(void) {
    vouch_bytes_free(NULL);
    vouch_verified_free(NULL);
    vouch_signer_free(NULL);
    vouch_verifier_free(NULL);
    vouch_verdict_free(NULL);
    CHECK(vouch_bytes_data(NULL) == NULL);
    CHECK(vouch_bytes_len(NULL) == 0);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    printf("testing %s\n", vouch_version());

    test_version_and_messages();
    test_digests();
    test_envelopes();
    test_chain();
    test_free_null();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
