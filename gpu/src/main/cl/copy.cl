/* Strided copy with dtype conversion (integers stay exact), and fill. */
__kernel void copy_strided(long n, SHAPE6,
                           __global const uchar* src, long so, int sdt, STRIDES6(ss),
                           __global uchar* dst, long dO, int ddt, STRIDES6(ds)) {
    long i = get_global_id(0);
    if (i >= n) return;
    long c[6];
    unravel6(i, n1, n2, n3, n4, n5, c);
    long si = so + OFF6(ss, c), di = dO + OFF6(ds, c);
    if (is_int_dt(sdt) && is_int_dt(ddt)) st_l(dst, ddt, di, ld_l(src, sdt, si));
    else if (sdt == ddt && sdt == DT_F32) ((__global float*) dst)[di] = ((__global const float*) src)[si];
    else if (sdt == ddt && (sdt == DT_BF16 || sdt == DT_F16)) ((__global ushort*) dst)[di] = ((__global const ushort*) src)[si];
    else st_f(dst, ddt, di, ld_f(src, sdt, si));
}

/* Every element of a strided dst = value (fv for floating dtypes, lv for integers). */
__kernel void fill_strided(long n, SHAPE6, __global uchar* dst, long dO, int ddt, STRIDES6(ds), float fv, long lv) {
    long i = get_global_id(0);
    if (i >= n) return;
    long c[6];
    unravel6(i, n1, n2, n3, n4, n5, c);
    long di = dO + OFF6(ds, c);
    if (is_int_dt(ddt)) st_l(dst, ddt, di, lv);
    else st_f(dst, ddt, di, fv);
}
