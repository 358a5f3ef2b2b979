/* Row reductions over dense [rows, n] F32 input: one work-group of a power-of-two size per row.
 * op: 0 SUM, 1 MEAN, 2 MAX (NaN wins, as in Java). */
#define RED_LOCAL 256

__kernel void reduce_rows(int op, long rows, int n, __global const float* x, long xo, __global float* out, long oo) {
    __local float scratch[RED_LOCAL];
    long row = get_group_id(0);
    int lid = get_local_id(0), ls = get_local_size(0);
    __global const float* p = x + xo + row * (long) n;
    float acc = op == 2 ? -INFINITY : 0.0f;
    for (int i = lid; i < n; i += ls) {
        float v = p[i];
        if (op == 2) acc = isnan(v) || isnan(acc) ? NAN : fmax(acc, v);
        else acc += v;
    }
    scratch[lid] = acc;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls / 2; s > 0; s >>= 1) {
        if (lid < s) {
            float u = scratch[lid], v = scratch[lid + s];
            scratch[lid] = op == 2 ? (isnan(u) || isnan(v) ? NAN : fmax(u, v)) : u + v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    if (lid == 0 && row < rows) out[oo + row] = op == 1 ? r / n : r;
}

/* Index of the first maximum of each row (the first NaN if any), as I64. */
__kernel void argmax_rows(long rows, int n, __global const float* x, long xo, __global long* out, long oo) {
    __local float best[RED_LOCAL];
    __local int where[RED_LOCAL];
    long row = get_group_id(0);
    int lid = get_local_id(0), ls = get_local_size(0);
    __global const float* p = x + xo + row * (long) n;
    float b = -INFINITY;
    int bi = n;
    for (int i = lid; i < n; i += ls) {
        float v = p[i];
        if (isnan(b)) break;
        if (bi == n || v > b || isnan(v)) { b = v; bi = i; }
    }
    best[lid] = b;
    where[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ls / 2; s > 0; s >>= 1) {
        if (lid < s) {
            float ob = best[lid + s];
            int oi = where[lid + s];
            float mb = best[lid];
            int mi = where[lid];
            int take;
            if (oi == n) take = 0;
            else if (mi == n) take = 1;
            else if (isnan(mb) || isnan(ob)) take = isnan(ob) && (!isnan(mb) || oi < mi);
            else take = ob > mb || (ob == mb && oi < mi);
            if (take) { best[lid] = ob; where[lid] = oi; }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0 && row < rows) out[oo + row] = where[0] == n ? 0 : where[0];
}

/* Softmax of each row of dense input (any float dtype), F32 output. */
__kernel void softmax_rows(long rows, int n, __global const uchar* x, long xo, int xdt, __global float* out, long oo) {
    __local float scratch[RED_LOCAL];
    long row = get_group_id(0);
    int lid = get_local_id(0), ls = get_local_size(0);
    long base = row * (long) n;
    float m = -INFINITY;
    for (int i = lid; i < n; i += ls) m = fmax(m, ld_f(x, xdt, xo + base + i));
    m = group_max(m, scratch);
    float s = 0.0f;
    for (int i = lid; i < n; i += ls) {
        float e = exp(ld_f(x, xdt, xo + base + i) - m);
        out[oo + base + i] = e;
        s += e;
    }
    s = group_sum(s, scratch);
    float inv = 1.0f / s;
    for (int i = lid; i < n; i += ls) out[oo + base + i] *= inv;
}
