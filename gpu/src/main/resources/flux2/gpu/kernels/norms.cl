/* LayerNorm / RMSNorm over the last axis and GroupNorm, one work-group per row of dense input; statistics in
 * float with a two-pass variance. Weight and bias are dense vectors of any float dtype (hasW/hasB flags). */
__kernel void row_norm(int centered, long rows, int n, float eps,
                       __global const uchar* x, long xo, int xdt,
                       __global const uchar* w, long wo, int wdt, int hasW,
                       __global const uchar* b, long bo, int bdt, int hasB,
                       __global uchar* out, long oo, int odt) {
    __local float scratch[RED_LOCAL];
    long row = get_group_id(0);
    int lid = get_local_id(0), ls = get_local_size(0);
    long base = row * (long) n;
    float mean = 0.0f;
    if (centered) {
        float s = 0.0f;
        for (int i = lid; i < n; i += ls) s += ld_f(x, xdt, xo + base + i);
        mean = group_sum(s, scratch) / n;
    }
    float q = 0.0f;
    for (int i = lid; i < n; i += ls) {
        float d = ld_f(x, xdt, xo + base + i) - mean;
        q += d * d;
    }
    float rstd = 1.0f / sqrt(group_sum(q, scratch) / n + eps);
    for (int i = lid; i < n; i += ls) {
        float v = (ld_f(x, xdt, xo + base + i) - mean) * rstd;
        if (hasW) v *= ld_f(w, wdt, wo + i);
        if (hasB) v += ld_f(b, bdt, bo + i);
        st_f(out, odt, oo + base + i, v);
    }
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
    float s = 0.0f;
    for (long i = lid; i < n; i += ls) s += ld_f(x, xdt, xo + base + i);
    float mean = group_sum(s, scratch) / n;
    float q = 0.0f;
    for (long i = lid; i < n; i += ls) {
        float d = ld_f(x, xdt, xo + base + i) - mean;
        q += d * d;
    }
    float rstd = 1.0f / sqrt(group_sum(q, scratch) / n + eps);
    for (long i = lid; i < n; i += ls) {
        long ch = (long) g * perGroup + i / plane;
        float v = (ld_f(x, xdt, xo + base + i) - mean) * rstd;
        if (hasW) v *= ld_f(w, wdt, wo + ch);
        if (hasB) v += ld_f(b, bdt, bo + ch);
        st_f(out, odt, oo + base + i, v);
    }
}

/* Rotary embedding of dense x rows [rows, D] into dense out; cos/sin rows are addressed through up to six
 * collapsed leading axes with their strides, and the channel stride cs/ss. interleaved: pairs (2i, 2i+1),
 * else (i, i + D/2). One work-item per pair. */
__kernel void rope_rows(int interleaved, long rows, int hd, SHAPE6,
                        __global const uchar* x, long xo, int xdt,
                        __global const uchar* cs, long co, int cdt, STRIDES6(cst), long cInner,
                        __global const uchar* sn, long so, int sdt, STRIDES6(sst), long sInner,
                        __global uchar* out, long oo, int odt) {
    long id = get_global_id(0);
    if (id >= rows * hd) return;
    long row = id / hd;
    int i = (int) (id % hd);
    long c[6];
    unravel6(row, n1, n2, n3, n4, n5, c);
    float cv = ld_f(cs, cdt, co + OFF6(cst, c) + i * cInner);
    float sv = ld_f(sn, sdt, so + OFF6(sst, c) + i * sInner);
    long base = row * 2 * hd;
    long ia = interleaved ? base + 2 * i : base + i;
    long ib = interleaved ? ia + 1 : ia + hd;
    float a = ld_f(x, xdt, xo + ia), bb = ld_f(x, xdt, xo + ib);
    st_f(out, odt, oo + ia, a * cv - bb * sv);
    st_f(out, odt, oo + ib, a * sv + bb * cv);
}
