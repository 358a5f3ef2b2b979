/* Batched matrix products c[z, M, N] (+)= a[z, M, K] x b[z, K, N] over strided operands. The batch index z
 * (dimension 2 of the grid) unravels into three batch axes nb0 x nb1 x nb2 with a stride per operand, so
 * broadcast batch axes (stride 0) and transposed weights (a strided view) need no copies. a is F32; b is
 * F32 or BF16 (bbf16), widened as it is read. */
#define MM_ARGS int M, int N, int K, int accumulate, int nb0, int nb1, int nb2, \
    __global const float* a, long ao, long as0, long as1, long as2, long ars, long acs, \
    __global const uchar* b, long bo, int bbf16, long bs0, long bs1, long bs2, long brs, long bcs, \
    __global float* c, long co, long cs0, long cs1, long cs2, long crs, long ccs

static inline float ld_b(__global const uchar* b, int bf16, long i) {
    return bf16 ? bf16_to_f(((__global const ushort*) b)[i]) : ((__global const float*) b)[i];
}

/* GPU variant: a work-group of 16 x 16 work-items computes a 64 x 64 tile of c, each work-item 4 x 4
 * values spaced 16 apart; A and B tiles of depth 16 are staged in local memory. */
#define MT 64
#define MK 16
__kernel void matmul_tiled(MM_ARGS) {
    __local float As[MK][MT + 1];
    __local float Bs[MK][MT + 1];
    int tx = get_local_id(0), ty = get_local_id(1);
    int z = get_global_id(2);
    int z2 = z % nb2, z1 = (z / nb2) % nb1, z0 = z / (nb2 * nb1);
    long aBase = ao + z0 * as0 + z1 * as1 + z2 * as2;
    long bBase = bo + z0 * bs0 + z1 * bs1 + z2 * bs2;
    long cBase = co + z0 * cs0 + z1 * cs1 + z2 * cs2;
    int row0 = get_group_id(1) * MT, col0 = get_group_id(0) * MT;
    int lin = ty * 16 + tx;
    float acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += MK) {
        /* neighbouring work-items read neighbouring addresses: along k unless the operand is contiguous
         * along rows (a) or columns (b) instead */
        int aAlongK = acs == 1 || ars != 1, bAlongK = brs == 1 && bcs != 1;
        for (int l = lin; l < MT * MK; l += 256) {
            int r = aAlongK ? l / MK : l % MT, kk = aAlongK ? l % MK : l / MT;
            int gr = row0 + r, gk = k0 + kk;
            As[kk][r] = gr < M && gk < K ? a[aBase + gr * ars + gk * acs] : 0.0f;
        }
        for (int l = lin; l < MT * MK; l += 256) {
            int kk = bAlongK ? l % MK : l / MT, cc = bAlongK ? l / MK : l % MT;
            int gk = k0 + kk, gc = col0 + cc;
            Bs[kk][cc] = gk < K && gc < N ? ld_b(b, bbf16, bBase + gk * brs + gc * bcs) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < MK; kk++) {
            float av[4], bv[4];
            for (int i = 0; i < 4; i++) av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < 4; i++) {
        int r = row0 + ty + 16 * i;
        if (r >= M) continue;
        for (int j = 0; j < 4; j++) {
            int cc = col0 + tx + 16 * j;
            if (cc >= N) continue;
            long ci = cBase + r * crs + cc * ccs;
            c[ci] = accumulate ? c[ci] + acc[i][j] : acc[i][j];
        }
    }
}

/* CPU variant: no local memory; each work-item accumulates a 4 x 8 block in registers, which the OpenCL CPU
 * compilers vectorise across neighbouring work-items. */
static inline void matmul_reg_body(MM_ARGS, const int bf16) {
    int j0 = get_global_id(0) * 8, i0 = get_global_id(1) * 4;
    int z = get_global_id(2);
    if (i0 >= M || j0 >= N) return;
    int z2 = z % nb2, z1 = (z / nb2) % nb1, z0 = z / (nb2 * nb1);
    long aBase = ao + z0 * as0 + z1 * as1 + z2 * as2;
    long bBase = bo + z0 * bs0 + z1 * bs1 + z2 * bs2;
    long cBase = co + z0 * cs0 + z1 * cs1 + z2 * cs2;
    int mi = min(4, M - i0), nj = min(8, N - j0);
    if (nj == 8 && bcs == 1) {
        /* full block over contiguous rows of b: eight columns per vector load */
        float8 c0 = (float8) (0.0f), c1 = (float8) (0.0f), c2 = (float8) (0.0f), c3 = (float8) (0.0f);
        long a0 = aBase + (long) i0 * ars, a1 = a0 + (mi > 1 ? ars : 0), a2 = a0 + (mi > 2 ? 2 * ars : 0), a3 = a0 + (mi > 3 ? 3 * ars : 0);
        for (int k = 0; k < K; k++) {
            long bk = bBase + (long) k * brs + j0;
            float8 bv = bf16 ? as_float8(convert_uint8(vload8(0, (__global const ushort*) b + bk)) << 16)
                             : vload8(0, (__global const float*) b + bk);
            long ko = (long) k * acs;
            c0 = fma((float8) (a[a0 + ko]), bv, c0);
            c1 = fma((float8) (a[a1 + ko]), bv, c1);
            c2 = fma((float8) (a[a2 + ko]), bv, c2);
            c3 = fma((float8) (a[a3 + ko]), bv, c3);
        }
        float8 rows[4] = {c0, c1, c2, c3};
        for (int i = 0; i < mi; i++) {
            long ci = cBase + (long) (i0 + i) * crs + (long) j0 * ccs;
            float8 r = rows[i];
            if (ccs == 1) {
                if (accumulate) r += vload8(0, c + ci);
                vstore8(r, 0, c + ci);
            } else {
                float vals[8];
                vstore8(r, 0, vals);
                for (int j = 0; j < 8; j++) c[ci + j * ccs] = accumulate ? c[ci + j * ccs] + vals[j] : vals[j];
            }
        }
        return;
    }
    float acc[4][8];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;
    for (int k = 0; k < K; k++) {
        float av[4], bv[8];
        for (int i = 0; i < 4; i++) av[i] = i < mi ? a[aBase + (long) (i0 + i) * ars + (long) k * acs] : 0.0f;
        long bk = bBase + (long) k * brs;
        for (int j = 0; j < 8; j++) bv[j] = j < nj ? ld_b(b, bf16, bk + (long) (j0 + j) * bcs) : 0.0f;
        for (int i = 0; i < 4; i++) for (int j = 0; j < 8; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
    }
    for (int i = 0; i < mi; i++)
        for (int j = 0; j < nj; j++) {
            long ci = cBase + (long) (i0 + i) * crs + (long) (j0 + j) * ccs;
            c[ci] = accumulate ? c[ci] + acc[i][j] : acc[i][j];
        }
}

__kernel void matmul_reg_f32(MM_ARGS) {
    matmul_reg_body(M, N, K, accumulate, nb0, nb1, nb2, a, ao, as0, as1, as2, ars, acs,
                    b, bo, bbf16, bs0, bs1, bs2, brs, bcs, c, co, cs0, cs1, cs2, crs, ccs, 0);
}

__kernel void matmul_reg_bf16(MM_ARGS) {
    matmul_reg_body(M, N, K, accumulate, nb0, nb1, nb2, a, ao, as0, as1, as2, ars, acs,
                    b, bo, bbf16, bs0, bs1, bs2, brs, bcs, c, co, cs0, cs1, cs2, crs, ccs, 1);
}
