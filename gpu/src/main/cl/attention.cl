/* Fused attention over dense F32 q [B, H, Lq, D], k and v [B, Hkv, Lk, D] (grouped-query: head h reads
 * key/value head h / (H / Hkv)), optional dense U8 key mask [B, Lk] and causal alignment at the end.
 * Scores stream through an online softmax over key tiles staged in local memory, so no Lq x Lk buffer exists.
 * Grid: dimension 0 = query (or key) index in groups of get_local_size(0), dimension 1 = b * H + h (or
 * b * Hkv + kv head). D is at most AT_DMAX. */
#define AT_T 16
#define AT_DMAX 256

static inline int key_allowed(__global const uchar* mask, long mo, int hasMask, int b, int Lk, int key, int causal, int qi, int Lq) {
    if (hasMask && mask[mo + (long) b * Lk + key] == 0) return 0;
    if (causal && key > qi + (Lk - Lq)) return 0;
    return 1;
}

/* Stages rows r0 .. r0 + rows - 1 of a [L, D] matrix (zero past L) into local memory. */
static inline void stage_rows(__local float* dst, __global const float* src, long base, int r0, int rows, int L, int D) {
    for (int idx = get_local_id(0); idx < rows * D; idx += get_local_size(0)) {
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
        stage_rows(Ks, k, kBase, k0, AT_T, Lk, D);
        stage_rows(Vs, v, vBase, k0, AT_T, Lk, D);
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
        stage_rows(Ks, k, kBase, k0, AT_T, Lk, D);
        stage_rows(Vs, v, vBase, k0, AT_T, Lk, D);
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
            stage_rows(Qs, q, qo + qBase * D, q0, AT_T, Lq, D);
            stage_rows(Gs, dO, doo + qBase * D, q0, AT_T, Lq, D);
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

/* GPU variant of attention_fwd: a work-group of 128 work-items serves 16 queries, each query split over
 * AT_LANES work-items that own every AT_LANES-th channel (so neighbours read neighbouring addresses). Partial
 * dot products meet in local memory; every lane of a query then runs the same online softmax on its own
 * channels, so per-thread state is D / AT_LANES floats instead of D. Needs D % AT_LANES == 0. */
#define AT_LANES 8
#define AT_QB 16
#define AT_SLICE (AT_DMAX / AT_LANES)

__kernel void attention_fwd_split(int H, int Hkv, int Lq, int Lk, int D, float scale, int causal,
                                  __global const float* q, long qo, __global const float* k, long ko,
                                  __global const float* v, long vo, __global const uchar* mask, long mo, int hasMask,
                                  __global float* out, long oo, __global float* lse, long lo, int hasLse) {
    __local float Ks[AT_T * AT_DMAX];
    __local float Vs[AT_T * AT_DMAX];
    __local float part[AT_QB * AT_T * AT_LANES];
    int t = get_local_id(0);
    int qq = t / AT_LANES, lane = t % AT_LANES;
    int qi = get_group_id(0) * AT_QB + qq;
    int bh = get_global_id(1);
    int b = bh / H, h = bh % H, hk = h / (H / Hkv);
    int active = qi < Lq;
    int nd = D / AT_LANES;
    long qBase = qo + ((long) bh * Lq + (active ? qi : 0)) * D;
    long kBase = ko + ((long) b * Hkv + hk) * Lk * D, vBase = vo + ((long) b * Hkv + hk) * Lk * D;
    float qv[AT_SLICE], acc[AT_SLICE];
    for (int i = 0; i < AT_SLICE; i++) {
        qv[i] = i < nd ? q[qBase + lane + i * AT_LANES] : 0.0f;
        acc[i] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int k0 = 0; k0 < Lk; k0 += AT_T) {
        stage_rows(Ks, k, kBase, k0, AT_T, Lk, D);
        stage_rows(Vs, v, vBase, k0, AT_T, Lk, D);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int j = 0; j < AT_T; j++) {
            float s = 0.0f;
            for (int i = 0; i < AT_SLICE; i++) if (i < nd) s = fma(qv[i], Ks[j * D + lane + i * AT_LANES], s);
            part[(qq * AT_T + j) * AT_LANES + lane] = s;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        int n = min(AT_T, Lk - k0);
        if (active) {
            for (int j = 0; j < n; j++) {
                if (!key_allowed(mask, mo, hasMask, b, Lk, k0 + j, causal, qi, Lq)) continue;
                float s = 0.0f;
                for (int r = 0; r < AT_LANES; r++) s += part[(qq * AT_T + j) * AT_LANES + r];
                s *= scale;
                if (s > m) {
                    float corr = exp(m - s);
                    l *= corr;
                    for (int i = 0; i < AT_SLICE; i++) acc[i] *= corr;
                    m = s;
                }
                float p = exp(s - m);
                l += p;
                for (int i = 0; i < AT_SLICE; i++) if (i < nd) acc[i] = fma(p, Vs[j * D + lane + i * AT_LANES], acc[i]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (!active) return;
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    long oBase = oo + ((long) bh * Lq + qi) * D;
    for (int i = 0; i < nd; i++) out[oBase + lane + i * AT_LANES] = acc[i] * inv;
    if (hasLse && lane == 0) lse[lo + (long) bh * Lq + qi] = l > 0.0f ? m + log(l) : -INFINITY;
}

/* GPU variants of the backward kernels, split like attention_fwd_split: 16 rows (queries for dq, keys for
 * dk/dv) per work-group, each over AT_LANES work-items owning every AT_LANES-th channel; the other side is
 * staged AT_TB rows at a time and partial dot products meet in local memory. */
#define AT_TB 8

__kernel void attention_bwd_dq_split(int H, int Hkv, int Lq, int Lk, int D, float scale, int causal,
                                     __global const float* q, long qo, __global const float* k, long ko,
                                     __global const float* v, long vo, __global const uchar* mask, long mo, int hasMask,
                                     __global const float* lse, long lo, __global const float* delta, long dlo,
                                     __global const float* dO, long doo, __global float* dq, long dqo) {
    __local float Ks[AT_TB * AT_DMAX];
    __local float Vs[AT_TB * AT_DMAX];
    __local float partS[AT_QB * AT_TB * AT_LANES];
    __local float partP[AT_QB * AT_TB * AT_LANES];
    int t = get_local_id(0);
    int qq = t / AT_LANES, lane = t % AT_LANES;
    int qi = get_group_id(0) * AT_QB + qq;
    int bh = get_global_id(1);
    int b = bh / H, h = bh % H, hk = h / (H / Hkv);
    int active = qi < Lq;
    int nd = D / AT_LANES;
    long row = (long) bh * Lq + (active ? qi : 0);
    long kBase = ko + ((long) b * Hkv + hk) * Lk * D, vBase = vo + ((long) b * Hkv + hk) * Lk * D;
    float qv[AT_SLICE], g[AT_SLICE], acc[AT_SLICE];
    for (int i = 0; i < AT_SLICE; i++) {
        qv[i] = i < nd ? q[qo + row * D + lane + i * AT_LANES] : 0.0f;
        g[i] = i < nd ? dO[doo + row * D + lane + i * AT_LANES] : 0.0f;
        acc[i] = 0.0f;
    }
    float L = lse[lo + row], dl = delta[dlo + row];
    int live = active && L > -INFINITY;
    for (int k0 = 0; k0 < Lk; k0 += AT_TB) {
        stage_rows(Ks, k, kBase, k0, AT_TB, Lk, D);
        stage_rows(Vs, v, vBase, k0, AT_TB, Lk, D);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int j = 0; j < AT_TB; j++) {
            float s = 0.0f, dp = 0.0f;
            for (int i = 0; i < AT_SLICE; i++) if (i < nd) {
                s = fma(qv[i], Ks[j * D + lane + i * AT_LANES], s);
                dp = fma(g[i], Vs[j * D + lane + i * AT_LANES], dp);
            }
            partS[(qq * AT_TB + j) * AT_LANES + lane] = s;
            partP[(qq * AT_TB + j) * AT_LANES + lane] = dp;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (live) {
            int n = min(AT_TB, Lk - k0);
            for (int j = 0; j < n; j++) {
                if (!key_allowed(mask, mo, hasMask, b, Lk, k0 + j, causal, qi, Lq)) continue;
                float s = 0.0f, dp = 0.0f;
                for (int r = 0; r < AT_LANES; r++) {
                    s += partS[(qq * AT_TB + j) * AT_LANES + r];
                    dp += partP[(qq * AT_TB + j) * AT_LANES + r];
                }
                float p = exp(s * scale - L);
                float ds = p * (dp - dl) * scale;
                for (int i = 0; i < AT_SLICE; i++) if (i < nd) acc[i] = fma(ds, Ks[j * D + lane + i * AT_LANES], acc[i]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (active) for (int i = 0; i < nd; i++) dq[dqo + row * D + lane + i * AT_LANES] = acc[i];
}

__kernel void attention_bwd_dkv_split(int H, int Hkv, int Lq, int Lk, int D, float scale, int causal,
                                      __global const float* q, long qo, __global const float* k, long ko,
                                      __global const float* v, long vo, __global const uchar* mask, long mo, int hasMask,
                                      __global const float* lse, long lo, __global const float* delta, long dlo,
                                      __global const float* dO, long doo, __global float* dk, long dko, __global float* dv, long dvo) {
    __local float Qs[AT_TB * AT_DMAX];
    __local float Gs[AT_TB * AT_DMAX];
    __local float Ls[AT_TB];
    __local float Ds[AT_TB];
    __local float partS[AT_QB * AT_TB * AT_LANES];
    __local float partP[AT_QB * AT_TB * AT_LANES];
    int t = get_local_id(0);
    int kk = t / AT_LANES, lane = t % AT_LANES;
    int key = get_group_id(0) * AT_QB + kk;
    int bk = get_global_id(1);
    int b = bk / Hkv, hk = bk % Hkv, group = H / Hkv;
    int active = key < Lk;
    int nd = D / AT_LANES;
    long kRow = (long) bk * Lk + (active ? key : 0);
    float kv[AT_SLICE], vv[AT_SLICE], gk[AT_SLICE], gv[AT_SLICE];
    for (int i = 0; i < AT_SLICE; i++) {
        kv[i] = i < nd ? k[ko + kRow * D + lane + i * AT_LANES] : 0.0f;
        vv[i] = i < nd ? v[vo + kRow * D + lane + i * AT_LANES] : 0.0f;
        gk[i] = 0.0f;
        gv[i] = 0.0f;
    }
    int keyOk = active && (!hasMask || mask[mo + (long) b * Lk + key] != 0);
    for (int hh = 0; hh < group; hh++) {
        long qBase = ((long) b * H + hk * group + hh) * Lq;
        for (int q0 = 0; q0 < Lq; q0 += AT_TB) {
            stage_rows(Qs, q, qo + qBase * D, q0, AT_TB, Lq, D);
            stage_rows(Gs, dO, doo + qBase * D, q0, AT_TB, Lq, D);
            for (int j = t; j < AT_TB; j += get_local_size(0)) {
                Ls[j] = q0 + j < Lq ? lse[lo + qBase + q0 + j] : -INFINITY;
                Ds[j] = q0 + j < Lq ? delta[dlo + qBase + q0 + j] : 0.0f;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (int i = 0; i < AT_TB; i++) {
                float s = 0.0f, dp = 0.0f;
                for (int c = 0; c < AT_SLICE; c++) if (c < nd) {
                    s = fma(Qs[i * D + lane + c * AT_LANES], kv[c], s);
                    dp = fma(Gs[i * D + lane + c * AT_LANES], vv[c], dp);
                }
                partS[(kk * AT_TB + i) * AT_LANES + lane] = s;
                partP[(kk * AT_TB + i) * AT_LANES + lane] = dp;
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            if (keyOk) {
                int n = min(AT_TB, Lq - q0);
                for (int i = 0; i < n; i++) {
                    if (Ls[i] == -INFINITY) continue;
                    if (causal && key > q0 + i + (Lk - Lq)) continue;
                    float s = 0.0f, dp = 0.0f;
                    for (int r = 0; r < AT_LANES; r++) {
                        s += partS[(kk * AT_TB + i) * AT_LANES + r];
                        dp += partP[(kk * AT_TB + i) * AT_LANES + r];
                    }
                    float p = exp(s * scale - Ls[i]);
                    float ds = p * (dp - Ds[i]) * scale;
                    for (int c = 0; c < AT_SLICE; c++) if (c < nd) {
                        gv[c] = fma(p, Gs[i * D + lane + c * AT_LANES], gv[c]);
                        gk[c] = fma(ds, Qs[i * D + lane + c * AT_LANES], gk[c]);
                    }
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
        }
    }
    if (!active) return;
    for (int c = 0; c < nd; c++) {
        dk[dko + kRow * D + lane + c * AT_LANES] = gk[c];
        dv[dvo + kRow * D + lane + c * AT_LANES] = gv[c];
    }
}
