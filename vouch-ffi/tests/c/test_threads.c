/*
 * vouch's thread-safety contract (vouch.h, "Thread safety"), exercised from
 * C: one verifier, made from one policy and roster, shared by THREADS
 * threads that each run ROUNDS rounds of five cases at once:
 *
 *   - the fixture deployment: passes, and the call clears the thread's last
 *     error message;
 *   - a deployment not in the bundle: fails (deployment-missing);
 *   - the forged bundle (the deployment's signature broken): fails
 *     (bad-signature);
 *   - a bundle that does not read: VOUCH_RESULT_BUNDLE, a "bundle: ..."
 *     message;
 *   - a time out of range that names this thread and round: the message is
 *     exactly this thread's, never another's (it is per thread).
 *
 * Each thread starts its rounds at another case, so different cases run at
 * the same moment, and all threads start together (a barrier) on a verifier
 * no call has used yet, so whatever it computes on first use is computed
 * under contention. Every thread also reads one shared verdict and the
 * verifier's roster version and state.
 *
 *   usage: test_threads [--warm] FIXTURES_DIR [THREADS [ROUNDS]]
 *          (default 8 threads, 8 rounds)
 *
 * --warm uses the verifier once before the threads start. Race detectors
 * that do not understand the atomics behind Rust's std::sync::OnceLock
 * (valgrind's helgrind and drd) report its one-time fill as a race; warmed
 * up, what they check is that nothing else in a verifier or verdict is
 * written while threads share it.
 *
 * Prints one line per failed check and ends with "N passed, N failed";
 * exits 0 only when nothing failed. scripts/c-test.sh builds and runs it
 * natively, under AddressSanitizer and UndefinedBehaviorSanitizer, and under
 * valgrind (with fewer rounds). Everything it allocates is freed.
 */
/* pthread barriers are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch.h"

/* ---- the fixtures, read once by the main thread ------------------------------ */

struct file {
    uint8_t *data; /* NUL-terminated (not counted in len) */
    size_t len;
};

static struct file read_file(const char *dir, const char *name) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        exit(2);
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    struct file out = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (out.len + 1 >= cap) {
            cap = cap == 0 ? 4096 : 2 * cap;
            out.data = realloc(out.data, cap);
            if (out.data == NULL) {
                abort();
            }
        }
        size_t n = fread(out.data + out.len, 1, cap - out.len - 1, f);
        if (n == 0) {
            break;
        }
        out.len += n;
    }
    fclose(f);
    out.data[out.len] = 0;
    return out;
}

struct fixtures {
    struct file policy, roster, pin, bundle, forged, target, missing, made_at;
};

/* ---- one thread's checks ----------------------------------------------------------- */

struct worker {
    int index;
    int rounds;
    const vouch_verifier *verifier;
    const vouch_verdict *shared_verdict;
    const struct fixtures *fx;
    pthread_barrier_t *start;
    int64_t at; /* when the chain is evaluated */
    int passed;
    int failed;
};

/* Records a check; a failure prints the thread, the line and the message the
   thread's last error holds (fprintf locks stderr: lines do not mix). */
static void check(struct worker *w, int ok, int line, const char *what) {
    if (ok) {
        w->passed++;
        return;
    }
    w->failed++;
    char detail[512];
    vouch_last_error_message(detail, sizeof detail, NULL);
    fprintf(stderr, "thread %d: %s:%d: FAILED: %s\n    last error: %s\n", w->index, __FILE__, line, what, detail);
}

#define CHECK(w, cond) check((w), (cond) ? 1 : 0, __LINE__, #cond)

/* The calling thread's last error message, into buf. */
static void last_error(char *buf, size_t len) {
    if (vouch_last_error_message(buf, len, NULL) != VOUCH_RESULT_OK) {
        snprintf(buf, len, "(the last error did not fit)");
    }
}

static int verdict_names(const vouch_verdict *verdict, const char *needle) {
    vouch_bytes *json = NULL;
    if (vouch_verdict_trace_json(verdict, &json) != VOUCH_RESULT_OK) {
        return 0;
    }
    int found = strstr((const char *)vouch_bytes_data(json), needle) != NULL;
    vouch_bytes_free(json);
    return found;
}

/* Verifies `target` in `bundle`: evaluated, and passes or fails with `kind`
   (NULL: passes). The call succeeded, so the last error is empty. */
static void expect_verdict(struct worker *w, const struct file *bundle, const struct file *target,
                           const char *kind) {
    vouch_verdict *verdict = NULL;
    vouch_result rc =
        vouch_verifier_verify_at(w->verifier, bundle->data, bundle->len, (const char *)target->data, w->at, &verdict);
    CHECK(w, rc == VOUCH_RESULT_OK);
    char msg[512];
    last_error(msg, sizeof msg);
    CHECK(w, msg[0] == 0);
    if (rc != VOUCH_RESULT_OK) {
        return;
    }
    if (kind == NULL) {
        CHECK(w, vouch_verdict_passed(verdict));
        CHECK(w, vouch_verdict_failure_count(verdict) == 0);
        CHECK(w, verdict_names(verdict, "\"outcome\": \"pass\""));
    } else {
        char want[128];
        snprintf(want, sizeof want, "\"kind\": \"%s\"", kind);
        CHECK(w, !vouch_verdict_passed(verdict));
        CHECK(w, vouch_verdict_failure_count(verdict) >= 1);
        CHECK(w, verdict_names(verdict, want));
    }
    vouch_verdict_free(verdict);
}

static void expect_unreadable_bundle(struct worker *w) {
    static const uint8_t junk[] = {0xa1, 0x00}; /* a CBOR map, not a bundle */
    vouch_verdict *verdict = (vouch_verdict *)w; /* garbage: must become NULL */
    vouch_result rc =
        vouch_verifier_verify_at(w->verifier, junk, sizeof junk, (const char *)w->fx->target.data, w->at, &verdict);
    CHECK(w, rc == VOUCH_RESULT_BUNDLE);
    CHECK(w, verdict == NULL);
    char msg[512];
    last_error(msg, sizeof msg);
    CHECK(w, strncmp(msg, "bundle: ", 8) == 0);
}

/* A failure whose message no other thread can produce: if the last error
   were shared, another thread's call in between would show here. */
static void expect_own_message(struct worker *w, int round) {
    int64_t when = INT64_MIN + (int64_t)w->index * 1000000 + round;
    vouch_verdict *verdict = NULL;
    vouch_result rc = vouch_verifier_verify_at(w->verifier, w->fx->bundle.data, w->fx->bundle.len,
                                               (const char *)w->fx->target.data, when, &verdict);
    CHECK(w, rc == VOUCH_RESULT_BAD_ARGUMENT);
    CHECK(w, verdict == NULL);
    char want[128], msg[512];
    snprintf(want, sizeof want, "unix_seconds %" PRId64 " is out of range", when);
    last_error(msg, sizeof msg);
    CHECK(w, strcmp(msg, want) == 0);

    /* Reading the message, or a code's message, leaves it in place, even
       after the other handles are read (functions that do not return a
       vouch_result do not touch it either). */
    char code[128];
    CHECK(w, vouch_result_message(VOUCH_RESULT_BUNDLE, code, sizeof code, NULL) == VOUCH_RESULT_OK);
    CHECK(w, vouch_verifier_roster_version(w->verifier) == 2);
    CHECK(w, vouch_verdict_passed(w->shared_verdict));
    last_error(msg, sizeof msg);
    CHECK(w, strcmp(msg, want) == 0);
}

/* Handles read by every thread at once: the shared verdict, the verifier's
   state. */
static void read_shared(struct worker *w) {
    CHECK(w, vouch_verdict_passed(w->shared_verdict));
    CHECK(w, verdict_names(w->shared_verdict, "\"identity\": \"workload:ci/deploy\""));
    vouch_bytes *state = NULL;
    CHECK(w, vouch_verifier_state(w->verifier, &state) == VOUCH_RESULT_OK);
    CHECK(w, strstr((const char *)vouch_bytes_data(state), (const char *)w->fx->pin.data) != NULL);
    vouch_bytes_free(state);
}

static void *work(void *arg) {
    struct worker *w = arg;
    int rc = pthread_barrier_wait(w->start);
    CHECK(w, rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    for (int round = 0; round < w->rounds; round++) {
        switch ((w->index + round) % 5) {
        case 0:
            expect_verdict(w, &w->fx->bundle, &w->fx->target, NULL);
            break;
        case 1:
            expect_verdict(w, &w->fx->bundle, &w->fx->missing, "deployment-missing");
            break;
        case 2:
            expect_verdict(w, &w->fx->forged, &w->fx->target, "bad-signature");
            break;
        case 3:
            expect_unreadable_bundle(w);
            break;
        default:
            expect_own_message(w, round);
            break;
        }
        read_shared(w);
    }
    /* Exit holding a message: the header says it is freed with the thread,
       which the leak checkers (LeakSanitizer, valgrind) then confirm. */
    expect_unreadable_bundle(w);
    return NULL;
}

/* ---- main: one verifier, many threads ------------------------------------------ */

static int positive(const char *text, const char *what) {
    char *end;
    long n = strtol(text, &end, 10);
    if (*end != 0 || n < 1 || n > 1000) {
        fprintf(stderr, "%s must be 1 to 1000, not %s\n", what, text);
        exit(2);
    }
    return (int)n;
}

int main(int argc, char **argv) {
    int warm = argc > 1 && strcmp(argv[1], "--warm") == 0;
    argc -= warm;
    argv += warm;
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: test_threads [--warm] FIXTURES_DIR [THREADS [ROUNDS]]\n");
        return 2;
    }
    int threads = argc > 2 ? positive(argv[2], "THREADS") : 8;
    int rounds = argc > 3 ? positive(argv[3], "ROUNDS") : 8;

    struct fixtures fx = {
        .policy = read_file(argv[1], "policy.toml"),
        .roster = read_file(argv[1], "roster.cbor"),
        .pin = read_file(argv[1], "roster.pin"),
        .bundle = read_file(argv[1], "bundle.cbor"),
        .forged = read_file(argv[1], "forged-bundle.cbor"),
        .target = read_file(argv[1], "target.txt"),
        .missing = read_file(argv[1], "missing-target.txt"),
        .made_at = read_file(argv[1], "made-at.txt"),
    };
    int64_t at = strtoll((const char *)fx.made_at.data, NULL, 10) + 60;

    int failed = 0, passed = 0;
    vouch_verifier *verifier = NULL;
    /* The pin as text (71 bytes, no NUL needed). */
    if (vouch_verifier_new(fx.policy.data, fx.policy.len, fx.roster.data, fx.roster.len, fx.pin.data, fx.pin.len,
                           &verifier) != VOUCH_RESULT_OK) {
        char msg[1024];
        last_error(msg, sizeof msg);
        fprintf(stderr, "cannot make the verifier: %s\n", msg);
        return 1;
    }
    /* Unless warmed up, the shared verdict comes from a verifier of its
       own, so that the workers' first calls are the shared verifier's first
       use. */
    vouch_verifier *other = NULL;
    if (!warm && vouch_verifier_new(fx.policy.data, fx.policy.len, fx.roster.data, fx.roster.len, fx.pin.data,
                                    fx.pin.len, &other) != VOUCH_RESULT_OK) {
        fprintf(stderr, "cannot make a second verifier\n");
        return 1;
    }
    vouch_verdict *shared_verdict = NULL;
    if (vouch_verifier_verify_at(warm ? verifier : other, fx.bundle.data, fx.bundle.len,
                                 (const char *)fx.target.data, at, &shared_verdict) != VOUCH_RESULT_OK) {
        fprintf(stderr, "cannot make the shared verdict\n");
        return 1;
    }
    vouch_verifier_free(other);

    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    pthread_barrier_t start;
    if (workers == NULL || ids == NULL || pthread_barrier_init(&start, NULL, (unsigned)threads) != 0) {
        abort();
    }
    for (int i = 0; i < threads; i++) {
        workers[i] = (struct worker){
            .index = i,
            .rounds = rounds,
            .verifier = verifier,
            .shared_verdict = shared_verdict,
            .fx = &fx,
            .start = &start,
            .at = at,
        };
        if (pthread_create(&ids[i], NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "cannot start thread %d\n", i);
            return 1;
        }
    }
    for (int i = 0; i < threads; i++) {
        if (pthread_join(ids[i], NULL) != 0) {
            fprintf(stderr, "cannot join thread %d\n", i);
            failed++;
        }
        passed += workers[i].passed;
        failed += workers[i].failed;
    }
    pthread_barrier_destroy(&start);
    /* Freeing waits until no thread uses the handles, as the header asks. */
    vouch_verdict_free(shared_verdict);
    vouch_verifier_free(verifier);
    free(ids);
    free(workers);
    struct file *files[] = {&fx.policy, &fx.roster, &fx.pin,     &fx.bundle,
                            &fx.forged, &fx.target, &fx.missing, &fx.made_at};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        free(files[i]->data);
    }

    printf("%d threads x %d rounds on one verifier: %d passed, %d failed\n", threads, rounds, passed, failed);
    return failed == 0 ? 0 : 1;
}
