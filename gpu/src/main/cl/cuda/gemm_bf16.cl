// BF16-weight GEMMs for NVIDIA devices, compiled to PTX only (inline PTX: no OpenCL device can build this file).
//
//   C[b][m][n] = sum_k A[b][m][k] * B[b][k][n]   (+ C[b][m][n] when accumulate != 0)
//
// A is F32 with unit stride along k; B is BF16 (raw ushort) with element (k, n) at B[n*sbn + k*sbk];
// C is F32 with unit stride along n. Offsets and strides are in elements. Batch b = group id z.
//
// gemm_bf16_mma / gemm_bf16x2_mma: tensor cores (mma.sync m16n8k16 bf16 -> f32, sm_80+). A block of 256
// threads computes a 128x128 tile of C; each of its 8 warps owns 64x32 (4 x 4 mma tiles). A is rounded to
// BF16 while it is staged in shared memory; the x2 variant also stages the rounding residue
// (A = hi + lo, both BF16) and issues two mma per tile, which keeps A at about 16 mantissa bits.
// gemm_bf16_scalar: one thread per output, FP32 FMA: the reference the tensor-core kernels are checked
// against on a GPU, selected with -Dflux2.cuda.gemm=scalar. Devices below sm_80 cannot load this file and
// use the shared matmul kernels.

#define BM 128
#define BN 128
#define BK 32
// Shared rows are BK bf16 plus 8 of padding = 20 words: the 32 lanes of a fragment load (8 rows x 4
// words) then hit 32 different banks (row r starts at bank 20r mod 32 = 0,20,8,28,16,4,24,12).
#define ROW_WORDS 20

// Parameters of every kernel here: sizes, then each operand as (pointer, element offset, strides).
#define GEMM_PARAMS int M, int N, int K, \
    __global const float* A, long aoff, long sam, long sab, \
    __global const ushort* B, long boff, long sbn, long sbk, long sbb, \
    __global float* C, long coff, long scm, long scb, int accumulate, int vec_ok

static inline __attribute__((always_inline)) uint bf16_bits(float f) {
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;  // NaN stays a (quiet) NaN
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;                  // round to nearest even
}

static inline __attribute__((always_inline)) float bf16_value(uint bits) { return as_float(bits << 16); }

static inline __attribute__((always_inline)) uint pack2(uint lo, uint hi) { return lo | (hi << 16); }

// Rounds a pair of A values: the BF16 pair, and (split) the pair of residues.
static inline __attribute__((always_inline)) void round_pair(float x0, float x1, uint* hi, uint* lo) {
    uint h0 = bf16_bits(x0), h1 = bf16_bits(x1);
    *hi = pack2(h0, h1);
    *lo = pack2(bf16_bits(x0 - bf16_value(h0)), bf16_bits(x1 - bf16_value(h1)));
}

#ifndef EMULATE_MMA
#define MMA_SCRATCH_DECL
#define MMA_SCRATCH_PARAM
#define MMA_SCRATCH
static inline __attribute__((always_inline)) void mma_bf16(float* d, uint a0, uint a1, uint a2, uint a3, uint b0, uint b1) {
    __asm__ volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
#else
// Test build for OpenCL CPU devices (-D EMULATE_MMA): each warp's mma goes through local memory, reading the
// operands back with the PTX ISA's m16n8k16 fragment layout (groupID = lane >> 2, threadID_in_group = lane % 4;
// A: a0a1 row g, a2a3 row g+8, a4..a7 the same rows at k + 8; B: b0b1 k = 2t, 2t+1 of column g, b2b3 at k + 8).
#define MMA_SCRATCH_DECL __local uint mma_scratch[256 * 6];
#define MMA_SCRATCH_PARAM , __local uint* mma_scratch
#define MMA_SCRATCH , mma_scratch
static inline __attribute__((always_inline)) float half_of(uint reg, int k) {
    return bf16_value((k & 1) ? reg >> 16 : reg & 0xffffu);
}
static inline __attribute__((always_inline)) void mma_bf16(float* d, uint a0, uint a1, uint a2, uint a3, uint b0,
                                                           uint b1, __local uint* mma_scratch) {
    const int tid = get_local_id(0), lane = tid & 31, g = lane >> 2, t = lane & 3;
    __local uint* w = mma_scratch + (tid >> 5) * 32 * 6;
    barrier(CLK_LOCAL_MEM_FENCE);
    w[lane * 6 + 0] = a0; w[lane * 6 + 1] = a1; w[lane * 6 + 2] = a2; w[lane * 6 + 3] = a3;
    w[lane * 6 + 4] = b0; w[lane * 6 + 5] = b1;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = 0; e < 4; e++) {
        const int r = g + (e >> 1) * 8, c = 2 * t + (e & 1);
        float s = 0.0f;
        for (int k = 0; k < 16; k++) {
            uint ar = w[((r & 7) * 4 + ((k & 7) >> 1)) * 6 + (r >> 3) + ((k >> 3) << 1)];
            uint br = w[(c * 4 + ((k & 7) >> 1)) * 6 + 4 + (k >> 3)];
            s += half_of(ar, k) * half_of(br, k);
        }
        d[e] += s;
    }
}
#endif

// Whole-tile fast path: float4 loads of A, 16-byte loads of B, no bounds checks.
typedef struct {
    float4 a[4];
    uint4 b[2];
} Prefetch;

static inline __attribute__((always_inline)) void load_fast(__global const float* A, __global const ushort* B, long sam, long sbn, long sbk,
                             int m0, int n0, int k0, int tid, Prefetch* p) {
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        int idx = tid + i * 256, row = idx >> 3, k = (idx & 7) * 4;
        p->a[i] = *(__global const float4*)(A + (long)(m0 + row) * sam + k0 + k);
    }
    if (sbk == 1) {
        // B rows are n: 4 chunks of 8 consecutive k per row.
        #pragma unroll
        for (int i = 0; i < 2; i++) {
            int idx = tid + i * 256, n = idx >> 2, k = (idx & 3) * 8;
            p->b[i] = *(__global const uint4*)(B + (long)(n0 + n) * sbn + k0 + k);
        }
    } else {
        // B rows are k (sbn == 1): each unit is 4 consecutive n in rows k and k+1.
        #pragma unroll
        for (int i = 0; i < 2; i++) {
            int idx = tid + i * 256, kp = (idx >> 5) * 2, n = (idx & 31) * 4;
            __global const ushort* r0 = B + (long)(k0 + kp) * sbk + n0 + n;
            uint2 lo = *(__global const uint2*)r0, hi = *(__global const uint2*)(r0 + sbk);
            p->b[i] = (uint4)(lo.x, lo.y, hi.x, hi.y);
        }
    }
}

static inline __attribute__((always_inline)) void store_fast(const Prefetch* p, __local uint* As, __local uint* Al, __local uint* Bs, long sbk,
                              int tid, int split) {
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        int idx = tid + i * 256, row = idx >> 3, k = (idx & 7) * 4;
        uint h0, l0, h1, l1;
        round_pair(p->a[i].x, p->a[i].y, &h0, &l0);
        round_pair(p->a[i].z, p->a[i].w, &h1, &l1);
        *(__local uint2*)(As + row * ROW_WORDS + k / 2) = (uint2)(h0, h1);
        if (split) *(__local uint2*)(Al + row * ROW_WORDS + k / 2) = (uint2)(l0, l1);
    }
    if (sbk == 1) {
        #pragma unroll
        for (int i = 0; i < 2; i++) {
            int idx = tid + i * 256, n = idx >> 2, k = (idx & 3) * 8;
            *(__local uint4*)(Bs + n * ROW_WORDS + k / 2) = p->b[i];
        }
    } else {
        #pragma unroll
        for (int i = 0; i < 2; i++) {
            int idx = tid + i * 256, kp = (idx >> 5) * 2, n = (idx & 31) * 4;
            uint4 v = p->b[i];  // x,y: row k (n..n+3); z,w: row k+1
            Bs[(n + 0) * ROW_WORDS + kp / 2] = pack2(v.x & 0xffffu, v.z & 0xffffu);
            Bs[(n + 1) * ROW_WORDS + kp / 2] = pack2(v.x >> 16, v.z >> 16);
            Bs[(n + 2) * ROW_WORDS + kp / 2] = pack2(v.y & 0xffffu, v.w & 0xffffu);
            Bs[(n + 3) * ROW_WORDS + kp / 2] = pack2(v.y >> 16, v.w >> 16);
        }
    }
}

// Edge tiles and unaligned operands: element loads with bounds checks, zeros outside.
static inline __attribute__((always_inline)) void load_store_checked(__global const float* A, __global const ushort* B, long sam, long sbn,
                                      long sbk, int M, int N, int K, int m0, int n0, int k0, int tid,
                                      __local uint* As, __local uint* Al, __local uint* Bs, int split) {
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        int p = tid + i * 256, r = p >> 4, k = k0 + (p & 15) * 2;
        int m = m0 + r, n = n0 + r;
        float x0 = 0.0f, x1 = 0.0f;
        uint b0 = 0, b1 = 0;
        if (m < M && k < K) x0 = A[(long)m * sam + k];
        if (m < M && k + 1 < K) x1 = A[(long)m * sam + k + 1];
        if (n < N && k < K) b0 = B[(long)n * sbn + (long)k * sbk];
        if (n < N && k + 1 < K) b1 = B[(long)n * sbn + (long)(k + 1) * sbk];
        uint hi, lo;
        round_pair(x0, x1, &hi, &lo);
        As[r * ROW_WORDS + (p & 15)] = hi;
        if (split) Al[r * ROW_WORDS + (p & 15)] = lo;
        Bs[r * ROW_WORDS + (p & 15)] = pack2(b0, b1);
    }
}

static inline __attribute__((always_inline)) void gemm_tile(__global const float* A, __global const ushort* B, __global float* C, int M, int N,
                             int K, long aoff, long sam, long sab, long boff, long sbn, long sbk, long sbb,
                             long coff, long scm, long scb, int accumulate, int vec_ok, int split,
                             __local uint* As, __local uint* Al, __local uint* Bs MMA_SCRATCH_PARAM) {
    const int tid = get_local_id(0);
    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;             // mma groupID and threadID_in_group
    const int wm = (warp & 1) * 64, wn = (warp >> 1) * 32;
    const int m0 = get_group_id(1) * BM, n0 = get_group_id(0) * BN;
    const long batch = get_group_id(2);
    A += aoff + batch * sab;
    B += boff + batch * sbb;
    C += coff + batch * scb;

    float acc[4][4][4];
    #pragma unroll
    for (int i = 0; i < 4; i++)
        #pragma unroll
        for (int j = 0; j < 4; j++)
            #pragma unroll
            for (int r = 0; r < 4; r++) acc[i][j][r] = 0.0f;

    const int tiles = (K + BK - 1) / BK;
    const int interior = vec_ok && m0 + BM <= M && n0 + BN <= N;
    Prefetch p;
    if (interior && BK <= K) load_fast(A, B, sam, sbn, sbk, m0, n0, 0, tid, &p);
    for (int kt = 0; kt < tiles; kt++) {
        const int k0 = kt * BK;
        if (interior && k0 + BK <= K) store_fast(&p, As, Al, Bs, sbk, tid, split);
        else load_store_checked(A, B, sam, sbn, sbk, M, N, K, m0, n0, k0, tid, As, Al, Bs, split);
        barrier(CLK_LOCAL_MEM_FENCE);
        // The next tile's global loads are in flight while this one is multiplied.
        if (interior && k0 + 2 * BK <= K) load_fast(A, B, sam, sbn, sbk, m0, n0, k0 + BK, tid, &p);
        #pragma unroll
        for (int kk = 0; kk < BK / 2; kk += 8) {  // word offset of each 16-wide k step
            uint b[4][2];
            #pragma unroll
            for (int j = 0; j < 4; j++) {
                __local const uint* bp = Bs + (wn + j * 8 + g) * ROW_WORDS + kk + t;
                b[j][0] = bp[0];   // k = 2t, 2t+1
                b[j][1] = bp[4];   // k = 2t+8, 2t+9
            }
            #pragma unroll
            for (int i = 0; i < 4; i++) {
                const int r = (wm + i * 16 + g) * ROW_WORDS + kk + t;
                uint a0 = As[r], a1 = As[r + 8 * ROW_WORDS], a2 = As[r + 4], a3 = As[r + 8 * ROW_WORDS + 4];
                #pragma unroll
                for (int j = 0; j < 4; j++) mma_bf16(acc[i][j], a0, a1, a2, a3, b[j][0], b[j][1] MMA_SCRATCH);
                if (split) {
                    a0 = Al[r]; a1 = Al[r + 8 * ROW_WORDS]; a2 = Al[r + 4]; a3 = Al[r + 8 * ROW_WORDS + 4];
                    #pragma unroll
                    for (int j = 0; j < 4; j++) mma_bf16(acc[i][j], a0, a1, a2, a3, b[j][0], b[j][1] MMA_SCRATCH);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    // Accumulator fragment: c0, c1 at (g, 2t), (g, 2t+1); c2, c3 at (g+8, 2t), (g+8, 2t+1).
    #pragma unroll
    for (int i = 0; i < 4; i++) {
        #pragma unroll
        for (int j = 0; j < 4; j++) {
            const int n = n0 + wn + j * 8 + 2 * t;
            #pragma unroll
            for (int h = 0; h < 2; h++) {
                const int m = m0 + wm + i * 16 + g + h * 8;
                if (m >= M) continue;
                __global float* c = C + (long)m * scm + n;
                #pragma unroll
                for (int e = 0; e < 2; e++) {
                    if (n + e < N) c[e] = acc[i][j][2 * h + e] + (accumulate ? c[e] : 0.0f);
                }
            }
        }
    }
}

__kernel __attribute__((reqd_work_group_size(256, 1, 1)))
void gemm_bf16_mma(GEMM_PARAMS) {
    __local uint As[BM * ROW_WORDS];
    __local uint Bs[BN * ROW_WORDS];
    MMA_SCRATCH_DECL
    gemm_tile(A, B, C, M, N, K, aoff, sam, sab, boff, sbn, sbk, sbb, coff, scm, scb, accumulate, vec_ok, 0,
              As, As, Bs MMA_SCRATCH);
}

__kernel __attribute__((reqd_work_group_size(256, 1, 1)))
void gemm_bf16x2_mma(GEMM_PARAMS) {
    __local uint As[BM * ROW_WORDS];
    __local uint Al[BM * ROW_WORDS];
    __local uint Bs[BN * ROW_WORDS];
    MMA_SCRATCH_DECL
    gemm_tile(A, B, C, M, N, K, aoff, sam, sab, boff, sbn, sbk, sbb, coff, scm, scb, accumulate, vec_ok, 1,
              As, Al, Bs MMA_SCRATCH);
}

// One thread per output element (x = n, y = m, z = batch), FP32 FMA over k.
__kernel void gemm_bf16_scalar(GEMM_PARAMS) {
    const int n = get_global_id(0), m = get_global_id(1);
    const long batch = get_global_id(2);
    if (m >= M || n >= N) return;
    __global const float* a = A + aoff + batch * sab + (long)m * sam;
    __global const ushort* b = B + boff + batch * sbb + (long)n * sbn;
    float s = 0.0f;
    for (int k = 0; k < K; k++) s = fma(a[k], bf16_value(b[(long)k * sbk]), s);
    __global float* c = C + coff + batch * scb + (long)m * scm + n;
    *c = s + (accumulate ? *c : 0.0f);
}
