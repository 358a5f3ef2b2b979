/* A stand-in for libcuda.so.1 used by CudaDriverFakeTest: the same C signatures as cuda.h (CUDA 13.0),
 * "device" memory is host memory, and one kernel, fake_axpy(float* y, const float* x, float a, int n), runs on
 * the CPU when launched. It checks that the Java bindings pass every argument where the driver expects it. */
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
static int live_allocations;
static int last_grid[3], last_block[3];

static void fake_axpy(void** p) {
    float* y = (float*) (uintptr_t) *(CUdeviceptr*) p[0];
    const float* x = (const float*) (uintptr_t) *(CUdeviceptr*) p[1];
    float a = *(float*) p[2];
    int n = *(int*) p[3];
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}

CUresult cuInit(unsigned int flags) { return flags == 0 ? 0 : 1; }
CUresult cuDriverGetVersion(int* v) { *v = 12040; return 0; }
CUresult cuDeviceGetCount(int* c) { *c = 1; return 0; }
CUresult cuDeviceGet(int* d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char* name, int len, int dev) { strncpy(name, "Fake GPU", len); return dev == 0 ? 0 : 101; }
CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev) { *bytes = (size_t) 3 << 30; return 0; }
CUresult cuDeviceGetAttribute(int* v, int attr, int dev) {
    switch (attr) { case 75: *v = 8; break; case 76: *v = 6; break; case 16: *v = 84; break; case 115: *v = 1; break; default: *v = 0; }
    return dev == 0 ? 0 : 101;
}
CUresult cuDevicePrimaryCtxRetain(void** ctx, int dev) { *ctx = (void*) 0xc0; return 0; }
CUresult cuDevicePrimaryCtxRelease_v2(int dev) { return 0; }
CUresult cuCtxSetCurrent(void* ctx) { return ctx == (void*) 0xc0 ? 0 : 201; }
CUresult cuModuleLoadDataEx(void** mod, const void* image, unsigned int n, int* opts, void** vals) {
    const char* ptx = image;
    if (strstr(ptx, ".version") == NULL || strstr(ptx, "bogus") != NULL) {
        for (unsigned int i = 0; i < n; i++)
            if (opts[i] == 5) strncpy((char*) vals[i], "ptxas application ptx input, line 1; error: bogus", (size_t) (uintptr_t) vals[i + 1]);
        return 218; /* CUDA_ERROR_INVALID_PTX */
    }
    *mod = (void*) 0x40;
    return 0;
}
CUresult cuModuleGetFunction(void** fn, void* mod, const char* name) {
    if (strcmp(name, "fake_axpy") == 0) { *fn = (void*) fake_axpy; return 0; }
    return 500; /* CUDA_ERROR_NOT_FOUND */
}
CUresult cuModuleUnload(void* mod) { return 0; }
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, void* stream, void** params, void** extra) {
    last_grid[0] = gx; last_grid[1] = gy; last_grid[2] = gz;
    last_block[0] = bx; last_block[1] = by; last_block[2] = bz;
    if (extra != NULL || shared != 0) return 1;
    ((void (*)(void**)) f)(params);
    return 0;
}
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) { *p = (CUdeviceptr) (uintptr_t) malloc(n); live_allocations++; return 0; }
CUresult cuMemFree_v2(CUdeviceptr p) { free((void*) (uintptr_t) p); live_allocations--; return 0; }
CUresult cuMemAllocAsync(CUdeviceptr* p, size_t n, void* s) { return cuMemAlloc_v2(p, n); }
CUresult cuMemFreeAsync(CUdeviceptr p, void* s) { return cuMemFree_v2(p); }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* h, size_t n, void* s) { memcpy((void*) (uintptr_t) d, h, n); return 0; }
CUresult cuMemcpyDtoHAsync_v2(void* h, CUdeviceptr d, size_t n, void* s) { memcpy(h, (void*) (uintptr_t) d, n); return 0; }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void* st) { memmove((void*) (uintptr_t) d, (void*) (uintptr_t) s, n); return 0; }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void* s) { memset((void*) (uintptr_t) d, v, n); return 0; }
CUresult cuMemGetInfo_v2(size_t* f, size_t* t) { *t = (size_t) 3 << 30; *f = *t - (size_t) live_allocations; return 0; }
CUresult cuStreamCreate(void** s, unsigned int flags) { *s = (void*) 0x5; return flags == 1 ? 0 : 1; }
CUresult cuStreamSynchronize(void* s) { return s == (void*) 0x5 ? 0 : 400; }
CUresult cuStreamDestroy_v2(void* s) { return 0; }
CUresult cuEventCreate(void** e, unsigned int flags) { *e = malloc(1); return 0; }
CUresult cuEventRecord(void* e, void* s) { return 0; }
CUresult cuEventSynchronize(void* e) { return 0; }
CUresult cuEventElapsedTime(float* ms, void* a, void* b) { *ms = 1.5f; return 0; }
CUresult cuEventDestroy_v2(void* e) { free(e); return 0; }
CUresult cuGetErrorName(CUresult r, const char** s) {
    switch (r) {
        case 218: *s = "CUDA_ERROR_INVALID_PTX"; return 0;
        case 500: *s = "CUDA_ERROR_NOT_FOUND"; return 0;
        case 101: *s = "CUDA_ERROR_INVALID_DEVICE"; return 0;
        default: return 1;
    }
}
/* for the test: launches' geometry and the live allocation count */
int fake_last_grid(int i) { return last_grid[i]; }
int fake_last_block(int i) { return last_block[i]; }
int fake_live_allocations(void) { return live_allocations; }
