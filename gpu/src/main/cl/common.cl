/* Shared helpers. Dtype codes are flux2.tensor.DType ordinals: F32 0, BF16 1, F16 2, I64 3, I32 4, I8 5,
 * U8 6, BOOL 7. Tensor operands arrive as (pointer, element offset); strided operands carry up to six
 * (size, stride) pairs after collapsing, outermost first. */
#define DT_F32 0
#define DT_BF16 1
#define DT_F16 2
#define DT_I64 3
#define DT_I32 4
#define DT_I8 5
#define DT_U8 6
#define DT_BOOL 7

#define SHAPE6 int n0, int n1, int n2, int n3, int n4, int n5
#define STRIDES6(p) long p##0, long p##1, long p##2, long p##3, long p##4, long p##5
#define OFF6(p, c) ((c)[0] * p##0 + (c)[1] * p##1 + (c)[2] * p##2 + (c)[3] * p##3 + (c)[4] * p##4 + (c)[5] * p##5)

/* Coordinates of linear index i in a row-major shape n0..n5. */
static inline void unravel6(long i, int n1, int n2, int n3, int n4, int n5, long* c) {
    c[5] = i % n5; i /= n5;
    c[4] = i % n4; i /= n4;
    c[3] = i % n3; i /= n3;
    c[2] = i % n2; i /= n2;
    c[1] = i % n1; i /= n1;
    c[0] = i;
}

static inline float bf16_to_f(ushort b) { return as_float(((uint) b) << 16); }

/* Round to nearest even; NaN stays a quiet NaN. */
static inline ushort f_to_bf16(float f) {
    uint x = as_uint(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (ushort) ((x >> 16) | 0x40u);
    return (ushort) ((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

static inline float h_to_f(ushort h) {
    uint s = ((uint) (h & 0x8000u)) << 16;
    uint e = (h >> 10) & 0x1fu;
    uint m = h & 0x3ffu;
    if (e == 0) {
        float r = (float) m * 5.9604644775390625e-8f;
        return s ? -r : r;
    }
    if (e == 31) return as_float(s | 0x7f800000u | (m << 13));
    return as_float(s | ((e + 112u) << 23) | (m << 13));
}

/* Float to IEEE half, round to nearest even. */
static inline ushort f_to_h(float f) {
    uint x = as_uint(f);
    uint s = (x >> 16) & 0x8000u;
    uint ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (ushort) (s | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u) return (ushort) (s | 0x7c00u);
    if (ax < 0x38800000u) return (ushort) (s | (uint) rint(as_float(ax) * 16777216.0f));
    uint h = (((ax >> 23) - 112u) << 10) | ((ax >> 13) & 0x3ffu);
    uint rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (ushort) (s | h);
}

static inline float ld_f(__global const uchar* p, int dt, long i) {
    switch (dt) {
        case DT_F32: return ((__global const float*) p)[i];
        case DT_BF16: return bf16_to_f(((__global const ushort*) p)[i]);
        case DT_F16: return h_to_f(((__global const ushort*) p)[i]);
        case DT_I64: return (float) ((__global const long*) p)[i];
        case DT_I32: return (float) ((__global const int*) p)[i];
        case DT_I8: return (float) ((__global const char*) p)[i];
        default: return (float) p[i];
    }
}

static inline long ld_l(__global const uchar* p, int dt, long i) {
    switch (dt) {
        case DT_I64: return ((__global const long*) p)[i];
        case DT_I32: return (long) ((__global const int*) p)[i];
        case DT_I8: return (long) ((__global const char*) p)[i];
        case DT_U8: case DT_BOOL: return (long) p[i];
        default: return convert_long_sat_rtz(ld_f(p, dt, i));
    }
}

static inline void st_l(__global uchar* p, int dt, long i, long v) {
    switch (dt) {
        case DT_I64: ((__global long*) p)[i] = v; break;
        case DT_I32: ((__global int*) p)[i] = (int) v; break;
        case DT_F32: ((__global float*) p)[i] = (float) v; break;
        case DT_BF16: ((__global ushort*) p)[i] = f_to_bf16((float) v); break;
        case DT_F16: ((__global ushort*) p)[i] = f_to_h((float) v); break;
        default: p[i] = (uchar) v; break;
    }
}

static inline void st_f(__global uchar* p, int dt, long i, float v) {
    switch (dt) {
        case DT_F32: ((__global float*) p)[i] = v; break;
        case DT_BF16: ((__global ushort*) p)[i] = f_to_bf16(v); break;
        case DT_F16: ((__global ushort*) p)[i] = f_to_h(v); break;
        default: st_l(p, dt, i, convert_long_sat_rtz(v)); break;
    }
}

static inline int is_int_dt(int dt) { return dt >= DT_I64; }

/* Work-group tree sum of one float per work-item over a __local scratch of get_local_size(0) floats
 * (a power of two); every work-item gets the total. */
static inline float group_sum(float v, __local float* scratch) {
    int lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

static inline float group_max(float v, __local float* scratch) {
    int lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
