/* Fused attention over dense F32 q [B, H, Lq, D], k and v [B, Hkv, Lk, D] (grouped-query: head h reads
 * key/value head h / (H / Hkv)), optional dense U8 key mask [B, Lk] and causal alignment at the end.
 * Scores stream through an online softmax over key tiles staged in local memory, so no Lq x Lk buffer exists.
 * Grid: dimension 0 = query (or key) index in groups of get_local_size(0), dimension 1 = b * H + h (or
 * b * Hkv + kv head). D is at most AT_DMAX. */
#define AT_T 16
#define AT_DMAX 256

inline int key_allowed(__global const uchar* mask, long mo, int hasMask, int b, int Lk, int key, int causal, int qi, int Lq) {
    if (hasMask && mask[mo + (long) b * Lk + key] == 0) return 0;
    if (causal && key > qi + (Lk - Lq)) return 0;
    return 1;
}

/* Stages rows r0 .. r0 + AT_T - 1 of a [L, D] matrix (zero past L) into local memory. */
inline void stage_rows(__local float* dst, __global const float* src, long base, int r0, int L, int D) {
    for (int idx = get_local_id(0); idx < AT_T * D; idx += get_local_size(0)) {
        int j = idx / D, d = idx % D;
        dst[idx] = r0 + j < L ? src[base + (long) (r0 + j) * D + d] : 0.0f;
    }
}

__kernel void attention_fwd(int H, int Hkv, int Lq, int Lk, int D, float scale, int causal,
                            __global const float* q, long qo, __global const float* k, long ko,
                            __global const float* v, long vo, __global const uchar* mask, long mo, int hasMask,
                            __global float* out, long oo, __global float* lse, long lo, int hasLse) {
    __local float Ks[AT_T * AT_DMAX];
    __local float Vs[AT_T * AT_DMAX];
    int qi = get_global_id(0);
    int bh = get_global_id(1);
    int b = bh / H, h = bh % H, hk = h / (H / Hkv);
    int active = qi < Lq;
    long qBase = qo + ((long) bh * Lq + (active ? qi : 0)) * D;
    long kBase = ko + ((long) b * Hkv + hk) * Lk * D, vBase = vo + ((long) b * Hkv + hk) * Lk * D;
    float qv[AT_DMAX], acc[AT_DMAX];
    for (int d = 0; d < D; d++) { qv[d] = q[qBase + d]; acc[d] = 0.0f; }
    float m = -INFINITY, l = 0.0f;
    for (int k0 = 0; k0 < Lk; k0 += AT_T) {
        stage_rows(Ks, k, kBase, k0, Lk, D);
        stage_rows(Vs, v, vBase, k0, Lk, D);
        barrier(CLK_LOCAL_MEM_FENCE);
        if (active) {
            int n = min(AT_T, Lk - k0);
            for (int j = 0; j < n; j++) {
                if (!key_allowed(mask, mo, hasMask, b, Lk, k0 + j, causal, qi, Lq)) continue;
                float s = 0.0f;
                for (int d = 0; d < D; d++) s = fma(qv[d], Ks[j * D + d], s);
                s *= scale;
                if (s > m) {
                    float corr = exp(m - s);
                    l *= corr;
                    for (int d = 0; d < D; d++) acc[d] *= corr;
                    m = s;
                }
                float p = exp(s - m);
                l += p;
                for (int d = 0; d < D; d++) acc[d] = fma(p, Vs[j * D + d], acc[d]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!active) return;
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int d = 0; d < D; d++) out[oo + ((long) bh * Lq + qi) * D + d] = acc[d] * inv;
    if (hasLse) lse[lo + (long) bh * Lq + qi] = l > 0.0f ? m + log(l) : -INFINITY;
}

/* delta[b, h, i] = sum_d dOut * out, the softmax-backward row term. */
__kernel void attention_bwd_delta(long rows, int D, __global const float* o, long oo, __global const float* dO, long doo,
                                  __global float* delta, long dlo) {
    long r = get_global_id(0);
    if (r >= rows) return;
    float s = 0.0f;
    for (int d = 0; d < D; d++) s = fma(o[oo + r * D + d], dO[doo + r * D + d], s);
    delta[dlo + r] = s;
}

/* dq for each query: sum over keys of p (dp - delta) k scale, with p recomputed from lse. */
__kernel void attention_bwd_dq(int H, int Hkv, int Lq, int Lk, int D, float scale, int causal,
                               __global const float* q, long qo, __global const float* k, long ko,
                               __global const float* v, long vo, __global const uchar* mask, long mo, int hasMask,
                               __global const float* lse, long lo, __global const float* delta, long dlo,
                               __global const float* dO, long doo, __global float* dq, long dqo) {
    __local float Ks[AT_T * AT_DMAX];
    __local float Vs[AT_T * AT_DMAX];
    int qi = get_global_id(0);
    int bh = get_global_id(1);
    int b = bh / H, h = bh % H, hk = h / (H / Hkv);
    int active = qi < Lq;
    long row = (long) bh * Lq + (active ? qi : 0);
    long kBase = ko + ((long) b * Hkv + hk) * Lk * D, vBase = vo + ((long) b * Hkv + hk) * Lk * D;
    float qv[AT_DMAX], g[AT_DMAX], acc[AT_DMAX];
    for (int d = 0; d < D; d++) { qv[d] = q[qo + row * D + d]; g[d] = dO[doo + row * D + d]; acc[d] = 0.0f; }
    float L = lse[lo + row], dl = delta[dlo + row];
    int live = active && L > -INFINITY;
    for (int k0 = 0; k0 < Lk; k0 += AT_T) {
        stage_rows(Ks, k, kBase, k0, Lk, D);
        stage_rows(Vs, v, vBase, k0, Lk, D);
        barrier(CLK_LOCAL_MEM_FENCE);
        if (live) {
            int n = min(AT_T, Lk - k0);
            for (int j = 0; j < n; j++) {
                if (!key_allowed(mask, mo, hasMask, b, Lk, k0 + j, causal, qi, Lq)) continue;
                float s = 0.0f, dp = 0.0f;
                for (int d = 0; d < D; d++) {
                    s = fma(qv[d], Ks[j * D + d], s);
                    dp = fma(g[d], Vs[j * D + d], dp);
                }
                float p = exp(s * scale - L);
                float ds = p * (dp - dl) * scale;
                for (int d = 0; d < D; d++) acc[d] = fma(ds, Ks[j * D + d], acc[d]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (active) for (int d = 0; d < D; d++) dq[dqo + row * D + d] = acc[d];
}

/* dk and dv for each key of each key/value head: sums over the query heads of its group and their queries,
 * staged AT_T queries at a time (q, dOut, lse, delta). */
__kernel void attention_bwd_dkv(int H, int Hkv, int Lq, int Lk, int D, float scale, int causal,
                                __global const float* q, long qo, __global const float* k, long ko,
                                __global const float* v, long vo, __global const uchar* mask, long mo, int hasMask,
                                __global const float* lse, long lo, __global const float* delta, long dlo,
                                __global const float* dO, long doo, __global float* dk, long dko, __global float* dv, long dvo) {
    __local float Qs[AT_T * AT_DMAX];
    __local float Gs[AT_T * AT_DMAX];
    __local float Ls[AT_T];
    __local float Ds[AT_T];
    int key = get_global_id(0);
    int bk = get_global_id(1);
    int b = bk / Hkv, hk = bk % Hkv, group = H / Hkv;
    int active = key < Lk;
    long kRow = (long) bk * Lk + (active ? key : 0);
    float kv[AT_DMAX], vv[AT_DMAX], gk[AT_DMAX], gv[AT_DMAX];
    for (int d = 0; d < D; d++) { kv[d] = k[ko + kRow * D + d]; vv[d] = v[vo + kRow * D + d]; gk[d] = 0.0f; gv[d] = 0.0f; }
    int keyOk = active && (!hasMask || mask[mo + (long) b * Lk + key] != 0);
    for (int hh = 0; hh < group; hh++) {
        int h = hk * group + hh;
        long qBase = ((long) b * H + h) * Lq;
        for (int q0 = 0; q0 < Lq; q0 += AT_T) {
            stage_rows(Qs, q, qo + qBase * D, q0, Lq, D);
            stage_rows(Gs, dO, doo + qBase * D, q0, Lq, D);
            for (int j = get_local_id(0); j < AT_T; j += get_local_size(0)) {
                Ls[j] = q0 + j < Lq ? lse[lo + qBase + q0 + j] : -INFINITY;
                Ds[j] = q0 + j < Lq ? delta[dlo + qBase + q0 + j] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (keyOk) {
                int n = min(AT_T, Lq - q0);
                for (int i = 0; i < n; i++) {
                    if (Ls[i] == -INFINITY) continue;
                    if (causal && key > q0 + i + (Lk - Lq)) continue;
                    float s = 0.0f, dp = 0.0f;
                    for (int d = 0; d < D; d++) {
                        s = fma(Qs[i * D + d], kv[d], s);
                        dp = fma(Gs[i * D + d], vv[d], dp);
                    }
                    float p = exp(s * scale - Ls[i]);
                    float ds = p * (dp - Ds[i]) * scale;
                    for (int d = 0; d < D; d++) {
                        gv[d] = fma(p, Gs[i * D + d], gv[d]);
                        gk[d] = fma(ds, Qs[i * D + d], gk[d]);
                    }
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
    if (!active) return;
    for (int d = 0; d < D; d++) {
        dk[dko + kRow * D + d] = gk[d];
        dv[dvo + kRow * D + d] = gv[d];
    }
}
