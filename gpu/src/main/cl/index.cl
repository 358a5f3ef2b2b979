/* index_select and index_add_ along one axis of dense operands viewed as [outer, axis, inner]. Indices are
 * I64 or I32 (idt) and were checked against the axis size on the host. */
__kernel void index_select(long outer, int axis, int count, long inner,
                           __global const uchar* x, long xo, int xdt, __global const uchar* idx, long io, int idt,
                           __global uchar* out, long oo, int odt) {
    long id = get_global_id(0);
    if (id >= outer * count * inner) return;
    long in = id % inner;
    int i = (id / inner) % count;
    long o = id / (inner * count);
    long j = ld_l(idx, idt, io + i);
    long si = xo + (o * axis + j) * inner + in;
    if (is_int_dt(xdt) && is_int_dt(odt)) st_l(out, odt, oo + id, ld_l(x, xdt, si));
    else st_f(out, odt, oo + id, ld_f(x, xdt, si));
}

/* dst[o, idx[i], in] += src[o, i, in]; one work-item per (o, in) walks i in order, so repeated indices add
 * up deterministically and without atomics. */
__kernel void index_add(long outer, int axis, int count, long inner,
                        __global uchar* dst, long dO, int ddt, __global const uchar* idx, long io, int idt,
                        __global const uchar* src, long so, int sdt) {
    long id = get_global_id(0);
    if (id >= outer * inner) return;
    long in = id % inner, o = id / inner;
    for (int i = 0; i < count; i++) {
        long j = ld_l(idx, idt, io + i);
        long di = dO + (o * axis + j) * inner + in;
        st_f(dst, ddt, di, ld_f(dst, ddt, di) + ld_f(src, sdt, so + (o * count + i) * inner + in));
    }
}
