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

/* FLUX.2's adaptive LayerNorm: (1 + scale) * LN(x) + shift, row r of x modulated by row r / groupRows of the
 * dense [groups, n] shift and scale. */
__kernel void modulated_layer_norm_rows(int n, float eps, long groupRows,
                                        __global const uchar* x, long xo, int xdt,
                                        __global const uchar* shift, long so, int sdt,
                                        __global const uchar* scale, long co, int cdt,
                                        __global uchar* out, long oo, int odt) {
    __local float scratch[RED_LOCAL];
    int lid = get_local_id(0), ls = get_local_size(0);
    long row = get_group_id(0);
    long base = row * (long) n, mbase = row / groupRows * (long) n;
    float2 st = row_stats(1, x, xdt, xo + base, n, eps, scratch);
    for (int i = lid; i < n; i += ls) {
        float v = (ld_f(x, xdt, xo + base + i) - st.x) * st.y;
        st_f(out, odt, oo + base + i, fma(v, 1.0f + ld_f(scale, cdt, co + mbase + i), ld_f(shift, sdt, so + mbase + i)));
    }
}

/* Backward of a row norm with output xhat * a + c (LayerNorm when centered, else RMSNorm; a = w, 1 + w when
 * onePlus, or 1 without w; w row r / groupRows of a dense [groups, n]): with ga = g * a,
 * dx = rstd * (ga - mean(ga) [centered only] - xhat * mean(ga * xhat)). Writes dx (dense F32) when hasDx and
 * the row's (mean, rstd) to stats when hasStats, for norm_bwd_params. One work-group per row. */
__kernel void norm_bwd_rows(int n, float eps, int centered, long groupRows, int onePlus,
                            __global const uchar* x, long xo, int xdt,
                            __global const uchar* w, long wo, int wdt, int hasW,
                            __global const uchar* g, long go, int gdt,
                            __global float* dx, long dxo, int hasDx,
                            __global float* stats, long sto, int hasStats) {
    __local float scratch[RED_LOCAL];
    int lid = get_local_id(0), ls = get_local_size(0);
    long row = get_group_id(0);
    long base = row * (long) n, wbase = row / groupRows * (long) n;
    float2 st = row_stats(centered, x, xdt, xo + base, n, eps, scratch);
    if (hasStats && lid == 0) {
        stats[sto + 2 * row] = st.x;
        stats[sto + 2 * row + 1] = st.y;
    }
    if (!hasDx) return;
    float sg = 0.0f, sgx = 0.0f;
    for (int i = lid; i < n; i += ls) {
        float a = hasW ? ld_f(w, wdt, wo + wbase + i) + (onePlus ? 1.0f : 0.0f) : 1.0f;
        float ga = ld_f(g, gdt, go + base + i) * a;
        sg += ga;
        sgx = fma(ga, (ld_f(x, xdt, xo + base + i) - st.x) * st.y, sgx);
    }
    float mg = centered ? group_sum(sg, scratch) / n : 0.0f;
    float mgx = group_sum(sgx, scratch) / n;
    for (int i = lid; i < n; i += ls) {
        float a = hasW ? ld_f(w, wdt, wo + wbase + i) + (onePlus ? 1.0f : 0.0f) : 1.0f;
        float ga = ld_f(g, gdt, go + base + i) * a;
        float xhat = (ld_f(x, xdt, xo + base + i) - st.x) * st.y;
        dx[dxo + base + i] = st.y * (ga - mg - xhat * mgx);
    }
}

/* Per-channel gradients of a row norm's a and c rows: for column c of group m, dw = sum of g * xhat and
 * db = sum of g over the group's rows, xhat from the (mean, rstd) norm_bwd_rows wrote. One work-item per
 * (group, column); neighbouring work-items read neighbouring columns. */
__kernel void norm_bwd_params(int n, long groupRows, long groups,
                              __global const uchar* x, long xo, int xdt,
                              __global const uchar* g, long go, int gdt,
                              __global const float* stats, long sto,
                              __global float* dw, long dwo, int hasDw,
                              __global float* db, long dbo, int hasDb) {
    long id = get_global_id(0);
    if (id >= groups * n) return;
    long m = id / n, c = id % n;
    float sw = 0.0f, sb = 0.0f;
    for (long r = m * groupRows; r < (m + 1) * groupRows; r++) {
        float gv = ld_f(g, gdt, go + r * n + c);
        sb += gv;
        sw = fma(gv, (ld_f(x, xdt, xo + r * n + c) - stats[sto + 2 * r]) * stats[sto + 2 * r + 1], sw);
    }
    if (hasDw) dw[dwo + id] = sw;
    if (hasDb) db[dbo + id] = sb;
}
