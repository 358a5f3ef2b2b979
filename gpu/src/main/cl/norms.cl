/* LayerNorm and RMSNorm over the last axis and GroupNorm, one work-group per row of dense input; statistics in
 * float with a two-pass variance. Weight and bias are dense vectors of any float dtype (hasW/hasB flags). */

/* Mean (0 unless centered) and 1 / sqrt(variance + eps) of the n elements of x from start, the variance taken
 * around that mean in a second pass (around 0 it is the mean square). Every work-item of the group gets both. */
static inline float2 row_stats(int centered, __global const uchar* x, int xdt, long start, long n, float eps,
                               __local float* scratch) {
    int lid = get_local_id(0), ls = get_local_size(0);
    float mean = 0.0f;
    if (centered) {
        float s = 0.0f;
        for (long i = lid; i < n; i += ls) s += ld_f(x, xdt, start + i);
        mean = group_sum(s, scratch) / n;
    }
    float q = 0.0f;
    for (long i = lid; i < n; i += ls) {
        float d = ld_f(x, xdt, start + i) - mean;
        q += d * d;
    }
    return (float2) (mean, 1.0f / sqrt(group_sum(q, scratch) / n + eps));
}

/* One row of n elements: (x - mean) / sqrt(var + eps) when centered (LayerNorm), else x / sqrt(mean(x^2) + eps)
 * (RMSNorm); then times the weight and plus the bias where given. */
static inline void norm_row(int centered, long row, int n, float eps,
                            __global const uchar* x, long xo, int xdt,
                            __global const uchar* w, long wo, int wdt, int hasW,
                            __global const uchar* b, long bo, int bdt, int hasB,
                            __global uchar* out, long oo, int odt, __local float* scratch) {
    int lid = get_local_id(0), ls = get_local_size(0);
    long base = row * (long) n;
    float2 st = row_stats(centered, x, xdt, xo + base, n, eps, scratch);
    for (int i = lid; i < n; i += ls) {
        float v = (ld_f(x, xdt, xo + base + i) - st.x) * st.y;
        if (hasW) v *= ld_f(w, wdt, wo + i);
        if (hasB) v += ld_f(b, bdt, bo + i);
        st_f(out, odt, oo + base + i, v);
    }
}

__kernel void layer_norm_rows(int n, float eps,
                              __global const uchar* x, long xo, int xdt,
                              __global const uchar* w, long wo, int wdt, int hasW,
                              __global const uchar* b, long bo, int bdt, int hasB,
                              __global uchar* out, long oo, int odt) {
    __local float scratch[RED_LOCAL];
    norm_row(1, get_group_id(0), n, eps, x, xo, xdt, w, wo, wdt, hasW, b, bo, bdt, hasB, out, oo, odt, scratch);
}

__kernel void rms_norm_rows(int n, float eps,
                            __global const uchar* x, long xo, int xdt,
                            __global const uchar* w, long wo, int wdt, int hasW,
                            __global uchar* out, long oo, int odt) {
    __local float scratch[RED_LOCAL];
    norm_row(0, get_group_id(0), n, eps, x, xo, xdt, w, wo, wdt, hasW, 0, 0, 0, 0, out, oo, odt, scratch);
}

/* x dense [N, C, S] seen as rows [N * groups, (C / groups) * S]; channel of element i of a row is
 * g * (C / groups) + i / S. */
__kernel void group_norm(long rows, int groups, int perGroup, long plane, float eps,
                         __global const uchar* x, long xo, int xdt,
                         __global const uchar* w, long wo, int wdt, int hasW,
                         __global const uchar* b, long bo, int bdt, int hasB,
                         __global uchar* out, long oo, int odt) {
    __local float scratch[RED_LOCAL];
    long row = get_group_id(0);
    int lid = get_local_id(0), ls = get_local_size(0);
    long n = perGroup * plane;
    long base = row * n;
    int g = (int) (row % groups);
    float2 st = row_stats(1, x, xdt, xo + base, n, eps, scratch);
    for (long i = lid; i < n; i += ls) {
        long ch = (long) g * perGroup + i / plane;
        float v = (ld_f(x, xdt, xo + base + i) - st.x) * st.y;
        if (hasW) v *= ld_f(w, wdt, wo + ch);
        if (hasB) v += ld_f(b, bdt, bo + ch);
        st_f(out, odt, oo + base + i, v);
    }
}
