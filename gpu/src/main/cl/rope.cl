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
