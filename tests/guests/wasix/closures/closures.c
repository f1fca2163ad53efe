// WASIX closures, call_dynamic and reflect_signature from C (wasix-libc's wrappers), one
// case per run: `closures.wasm CASE`. Every line printed is checked exactly by
// tests/suite/wasix_closures.rs; errno values are WASI's (EINVAL 28, EOVERFLOW 61, ENOTSUP 58).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasix/call_dynamic.h>
#include <wasix/closure.h>
#include <wasix/reflection.h>

#define FP(f) ((wasix_function_pointer_t)(uintptr_t)(f))

// ---- a libffi-style closure: (i32, i64, f64) -> i64, summed through user data ----

struct scale {
    int64_t factor;
    int calls;
};

// The backing function every closure call lands in: values packed (i32 at 0, i64 at 4,
// f64 at 12), one i64 result.
static void sum_backing(uint8_t *values, uint8_t *results, void *user_data) {
    struct scale *s = user_data;
    int32_t a;
    int64_t b;
    double c;
    memcpy(&a, values, 4);
    memcpy(&b, values + 4, 8);
    memcpy(&c, values + 12, 8);
    int64_t r = (a + b + (int64_t)c) * s->factor;
    s->calls++;
    memcpy(results, &r, 8);
}

// (f32, f32) -> f32: the product.
static void mul_backing(uint8_t *values, uint8_t *results, void *user_data) {
    float x, y;
    memcpy(&x, values, 4);
    memcpy(&y, values + 4, 4);
    float r = x * y + *(float *)user_data;
    memcpy(results, &r, 4);
}

// () -> (): counts.
static void count_backing(uint8_t *values, uint8_t *results, void *user_data) {
    (void)values;
    (void)results;
    ++*(int *)user_data;
}

static const wasix_value_type_t SUM_ARGS[] = {WASIX_VALUE_TYPE_I32, WASIX_VALUE_TYPE_I64,
                                              WASIX_VALUE_TYPE_F64};
static const wasix_value_type_t I64[] = {WASIX_VALUE_TYPE_I64};
static const wasix_value_type_t F32X2[] = {WASIX_VALUE_TYPE_F32, WASIX_VALUE_TYPE_F32};

typedef int64_t (*sum_fn)(int32_t, int64_t, double);
typedef float (*mul_fn)(float, float);

// Deep recursion through a closure: the shadow stack must come back each time.
static int64_t through(sum_fn f, int depth) {
    char frame[64];
    memset(frame, depth, sizeof frame);
    int64_t r = depth == 0 ? 0 : through(f, depth - 1);
    return r + f(frame[0], 0, 0.0);
}

static int closure_case(void) {
    wasix_function_pointer_t id;
    if (wasix_closure_allocate(&id) != 0) {
        printf("allocate: errno %d\n", errno);
        return 1;
    }
    struct scale s = {3, 0};
    if (wasix_closure_prepare(FP(sum_backing), id, SUM_ARGS, 3, I64, 1, &s) != 0) {
        printf("prepare: errno %d\n", errno);
        return 1;
    }
    sum_fn f = (sum_fn)(uintptr_t)id;
    printf("f(1, 2, 3.5) = %lld\n", (long long)f(1, 2, 3.5));
    printf("f(-10, 10000000000, 0.25) = %lld\n", (long long)f(-10, 10000000000LL, 0.25));
    s.factor = -1;
    printf("after factor -1: f(4, 5, 6.0) = %lld\n", (long long)f(4, 5, 6.0));
    int64_t total = 0;
    for (int i = 0; i < 100000; i++)
        total += f(1, 0, 0.0);
    printf("100000 calls: %lld\n", (long long)total);
    printf("recursion: %lld\n", (long long)through(f, 50));
    printf("calls: %d\n", s.calls);
    // The closure called through call_dynamic too.
    uint8_t values[20], results[8];
    int32_t a = 7;
    int64_t b = 8;
    double c = 9.0;
    memcpy(values, &a, 4);
    memcpy(values + 4, &b, 8);
    memcpy(values + 12, &c, 8);
    if (wasix_call_dynamic(id, values, 20, results, 8, true) != 0) {
        printf("call_dynamic: errno %d\n", errno);
        return 1;
    }
    int64_t r;
    memcpy(&r, results, 8);
    printf("call_dynamic(closure) = %lld\n", (long long)r);
    return 0;
}

static int reprepare_case(void) {
    wasix_function_pointer_t id;
    struct scale s = {2, 0};
    if (wasix_closure_allocate(&id) != 0 ||
        wasix_closure_prepare(FP(sum_backing), id, SUM_ARGS, 3, I64, 1, &s) != 0)
        return 1;
    printf("sum: %lld\n", (long long)((sum_fn)(uintptr_t)id)(1, 1, 1.0));
    float add = 0.5f;
    if (wasix_closure_prepare(FP(mul_backing), id, F32X2, 2, I64 + 1, 0, &add) != 0) {
        // a (f32, f32) -> () closure is fine too
        printf("prepare (f32, f32) -> (): errno %d\n", errno);
        return 1;
    }
    static const wasix_value_type_t F32[] = {WASIX_VALUE_TYPE_F32};
    if (wasix_closure_prepare(FP(mul_backing), id, F32X2, 2, F32, 1, &add) != 0) {
        printf("prepare: errno %d\n", errno);
        return 1;
    }
    printf("mul: %.2f\n", ((mul_fn)(uintptr_t)id)(1.5f, 4.0f));
    wasix_reflection_result_t rr;
    wasix_value_type_t at[4], rt[4];
    if (wasix_reflect_signature(id, at, 4, rt, 4, &rr) != 0) {
        printf("reflect: errno %d\n", errno);
        return 1;
    }
    printf("reflect: cacheable %d, %d args (%d %d), %d results (%d)\n", rr.cacheable,
           rr.arguments, at[0], at[1], rr.results, rt[0]);
    int n = 0;
    if (wasix_closure_prepare(FP(count_backing), id, NULL, 0, NULL, 0, &n) != 0)
        return 1;
    ((void (*)(void))(uintptr_t)id)();
    ((void (*)(void))(uintptr_t)id)();
    printf("count: %d\n", n);
    return 0;
}

static int reuse_case(void) {
    wasix_function_pointer_t a, b, c;
    if (wasix_closure_allocate(&a) != 0 || wasix_closure_allocate(&b) != 0)
        return 1;
    printf("two slots: %s\n", b == a + 1 ? "adjacent" : "apart");
    if (wasix_closure_free(a) != 0)
        return 1;
    if (wasix_closure_allocate(&c) != 0)
        return 1;
    printf("reallocated: %s\n", c == a ? "same slot" : "new slot");
    int r = wasix_closure_free(b);
    printf("free b: %d\n", r);
    r = wasix_closure_free(b);
    printf("free b again: %d errno %d\n", r, errno);
    struct scale s = {1, 0};
    r = wasix_closure_prepare(FP(sum_backing), b, SUM_ARGS, 3, I64, 1, &s);
    printf("prepare freed: %d errno %d\n", r, errno);
    // A slot the program's own functions fill is not a closure.
    r = wasix_closure_prepare(FP(sum_backing), FP(mul_backing), SUM_ARGS, 3, I64, 1, &s);
    printf("prepare a function's slot: %d errno %d\n", r, errno);
    r = wasix_closure_free(FP(mul_backing));
    printf("free a function's slot: %d errno %d\n", r, errno);
    // A backing function of the wrong type.
    r = wasix_closure_prepare(FP(closure_case), c, SUM_ARGS, 3, I64, 1, &s);
    printf("prepare wrong backing: %d errno %d\n", r, errno);
    r = wasix_closure_prepare(999999, c, SUM_ARGS, 3, I64, 1, &s);
    printf("prepare missing backing: %d errno %d\n", r, errno);
    static const wasix_value_type_t BAD[] = {WASIX_VALUE_TYPE_I32, 5};
    r = wasix_closure_prepare(FP(sum_backing), c, BAD, 2, I64, 1, &s);
    printf("prepare bad type: %d errno %d\n", r, errno);
    return 0;
}

// ---- call_dynamic ----

static int64_t mix(int32_t a, int64_t b, float c, double d) {
    return a * 1000000 + b * 1000 + (int64_t)(c * 10) + (int64_t)(d * 100);
}

static double half(double x) { return x / 2; }

static int called;
static void nothing(void) { called++; }

static void pack(uint8_t *v, int32_t a, int64_t b, float c, double d) {
    memcpy(v, &a, 4);
    memcpy(v + 4, &b, 8);
    memcpy(v + 12, &c, 4);
    memcpy(v + 16, &d, 8);
}

static int call_dynamic_case(void) {
    uint8_t v[24 + 8];
    uint8_t res[16];
    int64_t r;
    pack(v, 7, 8, 0.5f, 0.25);
    memset(res, 0xee, sizeof res);
    int e = wasix_call_dynamic(FP(mix), v, 24, res, 8, true);
    memcpy(&r, res, 8);
    printf("strict: %d -> %lld\n", e, (long long)r);
    e = wasix_call_dynamic(FP(mix), v, 20, res, 8, true);
    printf("strict, values 20 of 24: %d errno %d\n", e, errno);
    e = wasix_call_dynamic(FP(mix), v, 28, res, 8, true);
    printf("strict, values 28 of 24: %d errno %d\n", e, errno);
    e = wasix_call_dynamic(FP(mix), v, 24, res, 16, true);
    printf("strict, results 16 of 8: %d errno %d\n", e, errno);
    // Non-strict: the missing d (bytes 16..24) is zero; extra bytes are ignored.
    memset(res, 0xee, sizeof res);
    e = wasix_call_dynamic(FP(mix), v, 16, res, 16, false);
    memcpy(&r, res, 8);
    printf("loose, values 16 of 24: %d -> %lld, byte 8 %#x\n", e, (long long)r, res[8]);
    e = wasix_call_dynamic(FP(mix), v, 32, res, 8, false);
    memcpy(&r, res, 8);
    printf("loose, values 32 of 24: %d -> %lld\n", e, (long long)r);
    // Non-strict, a result buffer too short for the i64: nothing is written.
    memset(res, 0xee, sizeof res);
    e = wasix_call_dynamic(FP(mix), v, 24, res, 4, false);
    printf("loose, results 4 of 8: %d, bytes %#x %#x\n", e, res[0], res[3]);
    double x = 5.0, y;
    e = wasix_call_dynamic(FP(half), &x, 8, &y, 8, true);
    printf("half: %d -> %.2f\n", e, y);
    e = wasix_call_dynamic(FP(nothing), NULL, 0, NULL, 0, true);
    printf("nothing: %d, called %d\n", e, called);
    e = wasix_call_dynamic(0, NULL, 0, NULL, 0, false);
    printf("null: %d errno %d\n", e, errno);
    e = wasix_call_dynamic(999999, NULL, 0, NULL, 0, false);
    printf("past the table: %d errno %d\n", e, errno);
    return 0;
}

// ---- reflect_signature ----

static int reflect_case(void) {
    wasix_reflection_result_t rr;
    wasix_value_type_t at[8], rt[8];
    int e = wasix_reflect_signature(FP(mix), at, 8, rt, 8, &rr);
    printf("mix: %d cacheable %d, %d args (%d %d %d %d), %d results (%d)\n", e, rr.cacheable,
           rr.arguments, at[0], at[1], at[2], at[3], rr.results, rt[0]);
    e = wasix_reflect_signature(FP(nothing), at, 0, rt, 0, &rr);
    printf("nothing: %d cacheable %d, %d args, %d results\n", e, rr.cacheable, rr.arguments,
           rr.results);
    memset(at, 0x77, sizeof at);
    memset(rt, 0x77, sizeof rt);
    e = wasix_reflect_signature(FP(mix), at, 3, rt, 8, &rr);
    printf("mix, 3 argument slots: %d errno %d, %d args %d results, buffers %#x %#x\n", e, errno,
           rr.arguments, rr.results, at[0], rt[0]);
    e = wasix_reflect_signature(FP(mix), at, 4, rt, 0, &rr);
    printf("mix, 0 result slots: %d errno %d, buffers %#x %#x\n", e, errno, at[0], rt[0]);
    e = wasix_reflect_signature(999999, at, 8, rt, 8, &rr);
    printf("past the table: %d errno %d, cacheable %d\n", e, errno, rr.cacheable);
    wasix_function_pointer_t id;
    if (wasix_closure_allocate(&id) != 0)
        return 1;
    e = wasix_reflect_signature(id, at, 8, rt, 8, &rr);
    printf("unprepared closure: %d errno %d, cacheable %d\n", e, errno, rr.cacheable);
    return 0;
}

// ---- what each engine answers first (the differential case) ----

static int probe_case(void) {
    wasix_function_pointer_t id = 0;
    int e = wasix_closure_allocate(&id);
    printf("closure_allocate: %d\n", e ? errno : 0);
    uint8_t v[24], res[8];
    pack(v, 1, 2, 3.0f, 4.0);
    e = wasix_call_dynamic(FP(mix), v, 24, res, 8, true);
    printf("call_dynamic: %d\n", e ? errno : 0);
    wasix_reflection_result_t rr;
    wasix_value_type_t at[8], rt[8];
    e = wasix_reflect_signature(FP(mix), at, 8, rt, 8, &rr);
    printf("reflect_signature: %d\n", e ? errno : 0);
    e = wasix_closure_free(id);
    printf("closure_free: %d\n", e ? errno : 0);
    return 0;
}

int main(int argc, char **argv) {
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "closure"))
        return closure_case();
    if (!strcmp(c, "reprepare"))
        return reprepare_case();
    if (!strcmp(c, "reuse"))
        return reuse_case();
    if (!strcmp(c, "call_dynamic"))
        return call_dynamic_case();
    if (!strcmp(c, "reflect"))
        return reflect_case();
    if (!strcmp(c, "probe"))
        return probe_case();
    printf("unknown case %s\n", c);
    return 2;
}
