/* One AdamW step in place over contiguous F32 param, grad, m and v (torch.optim.AdamW): decoupled decay,
 * bias corrections folded into stepSize = lr / (1 - b1^t) and bc2 = sqrt(1 - b2^t). */
__kernel void adamw_step(long n, __global float* p, long po, __global const float* g, long go,
                         __global float* m, long mo, __global float* v, long vo,
                         float b1, float b2, float eps, float decay, float stepSize, float bc2) {
    long i = get_global_id(0);
    if (i >= n) return;
    float gi = g[go + i];
    float mi = b1 * m[mo + i] + (1.0f - b1) * gi;
    float vi = b2 * v[vo + i] + (1.0f - b2) * gi * gi;
    m[mo + i] = mi;
    v[vo + i] = vi;
    float denom = sqrt(vi) / bc2 + eps;
    p[po + i] = p[po + i] * decay - stepSize * mi / denom;
}
