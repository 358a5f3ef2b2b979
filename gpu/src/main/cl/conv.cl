/* Direct 2-D convolution and its two gradients over dense operands: x, dOut and outputs F32; w F32, BF16 or
 * F16 (wdt), widened as read. Geometry: x [N, C, H, W], w [Co, C, KH, KW], out [N, Co, Ho, Wo], stride
 * (sh, sw), top/left padding (pt, pl). */
#define CONV_GEOM int N, int C, int H, int W, int Co, int KH, int KW, int Ho, int Wo, int sh, int sw, int pt, int pl

__kernel void conv2d_fwd(CONV_GEOM, __global const float* x, long xo, __global const uchar* w, long wo, int wdt,
                         __global const uchar* bias, long bo, int bdt, int hasBias, __global float* out, long oo) {
    long id = get_global_id(0);
    long total = (long) N * Co * Ho * Wo;
    if (id >= total) return;
    int ox = id % Wo, oy = (id / Wo) % Ho, co = (id / ((long) Wo * Ho)) % Co;
    int n = id / ((long) Wo * Ho * Co);
    float acc = hasBias ? ld_f(bias, bdt, bo + co) : 0.0f;
    for (int ci = 0; ci < C; ci++) {
        long xb = xo + ((long) n * C + ci) * H * W;
        long wb = wo + ((long) co * C + ci) * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            int iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; kx++) {
                int ix = ox * sw - pl + kx;
                if (ix < 0 || ix >= W) continue;
                acc = fma(x[xb + (long) iy * W + ix], ld_f(w, wdt, wb + ky * KW + kx), acc);
            }
        }
    }
    out[oo + id] = acc;
}

/* dx[n, ci, iy, ix] = sum over co, ky, kx with iy = oy * sh - pt + ky of dOut[n, co, oy, ox] w[co, ci, ky, kx]. */
__kernel void conv2d_bwd_input(CONV_GEOM, __global const float* g, long go, __global const uchar* w, long wo, int wdt,
                               __global float* dx, long dxo) {
    long id = get_global_id(0);
    long total = (long) N * C * H * W;
    if (id >= total) return;
    int ix = id % W, iy = (id / W) % H, ci = (id / ((long) W * H)) % C;
    int n = id / ((long) W * H * C);
    float acc = 0.0f;
    for (int co = 0; co < Co; co++) {
        long gb = go + ((long) n * Co + co) * Ho * Wo;
        long wb = wo + ((long) co * C + ci) * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            int ty = iy + pt - ky;
            if (ty < 0 || ty % sh != 0) continue;
            int oy = ty / sh;
            if (oy >= Ho) continue;
            for (int kx = 0; kx < KW; kx++) {
                int tx = ix + pl - kx;
                if (tx < 0 || tx % sw != 0) continue;
                int ox = tx / sw;
                if (ox >= Wo) continue;
                acc = fma(g[gb + (long) oy * Wo + ox], ld_f(w, wdt, wb + ky * KW + kx), acc);
            }
        }
    }
    dx[dxo + id] = acc;
}

/* dw[co, ci, ky, kx]: one work-group per weight element sums dOut x input-patch over images and output
 * pixels, then reduces in local memory (a fixed order, so results do not depend on timing). */
__kernel void conv2d_bwd_weight(CONV_GEOM, __global const float* x, long xo, __global const float* g, long go,
                                __global float* dw, long dwo) {
    __local float scratch[RED_LOCAL];
    long e = get_group_id(0);
    int lid = get_local_id(0), ls = get_local_size(0);
    int kx = e % KW, ky = (e / KW) % KH, ci = (e / ((long) KW * KH)) % C;
    int co = e / ((long) KW * KH * C);
    long pixels = (long) N * Ho * Wo;
    float acc = 0.0f;
    for (long p = lid; p < pixels; p += ls) {
        int ox = p % Wo, oy = (p / Wo) % Ho;
        int n = p / ((long) Wo * Ho);
        int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        acc = fma(g[go + (((long) n * Co + co) * Ho + oy) * Wo + ox], x[xo + (((long) n * C + ci) * H + iy) * W + ix], acc);
    }
    float s = group_sum(acc, scratch);
    if (lid == 0) dw[dwo + e] = s;
}
