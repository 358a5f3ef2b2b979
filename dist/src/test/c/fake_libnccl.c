/*
 * A stand-in for libnccl.so.2 with nccl.h's signatures, for the tests of the FFM bindings: the ranks are threads
 * of one process and "device" buffers are host memory. ncclCommInitRank meets the ranks of one unique id; each
 * collective waits for every rank, computes the result from all ranks' send buffers in rank order, waits again,
 * and writes it. Test hooks: fake_set_async_error, fake_last_stream, fake_live_comms.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct { char internal[128]; } ncclUniqueId;
typedef int ncclResult_t;

typedef struct clique {
    char id[128];
    int n, joined, arrived;
    long generation;
    const void* send[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct clique* next;
} clique;

typedef struct { clique* c; int rank; } comm;

static pthread_mutex_t global = PTHREAD_MUTEX_INITIALIZER;
static clique* cliques;
static int async_error, live_comms;
static void* last_stream;
static long ids;

static void meet(clique* c) {
    pthread_mutex_lock(&c->mu);
    long gen = c->generation;
    if (++c->arrived == c->n) {
        c->arrived = 0;
        c->generation++;
        pthread_cond_broadcast(&c->cv);
    } else {
        while (gen == c->generation) pthread_cond_wait(&c->cv, &c->mu);
    }
    pthread_mutex_unlock(&c->mu);
}

static float bf16_to_f32(uint16_t h) { uint32_t u = (uint32_t) h << 16; float f; memcpy(&f, &u, 4); return f; }
static uint16_t f32_to_bf16(float f) {
    uint32_t u; memcpy(&u, &f, 4);
    u += 0x7FFF + ((u >> 16) & 1); /* round to nearest even */
    return (uint16_t) (u >> 16);
}
static size_t type_size(int t) { return t == 7 ? 4 : t == 9 ? 2 : 1; }

ncclResult_t ncclGetVersion(int* v) { *v = 22304; return 0; }

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
    memset(id, 0, sizeof *id);
    pthread_mutex_lock(&global);
    snprintf(id->internal, sizeof id->internal, "fake-nccl-%d-%ld", (int) getpid(), ++ids);
    pthread_mutex_unlock(&global);
    id->internal[127] = 0x5A; /* the last byte must survive the by-value pass too */
    return 0;
}

ncclResult_t ncclCommInitRank(comm** out, int n, ncclUniqueId id, int rank) {
    if (n < 1 || n > 64 || rank < 0 || rank >= n || id.internal[127] != 0x5A) return 4;
    pthread_mutex_lock(&global);
    clique* c = cliques;
    while (c && memcmp(c->id, id.internal, 128) != 0) c = c->next;
    if (!c) {
        c = calloc(1, sizeof *c);
        memcpy(c->id, id.internal, 128);
        c->n = n;
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        c->next = cliques;
        cliques = c;
    }
    live_comms++;
    pthread_mutex_unlock(&global);
    if (c->n != n) return 4;
    comm* m = malloc(sizeof *m);
    m->c = c;
    m->rank = rank;
    meet(c);
    *out = m;
    return 0;
}

ncclResult_t ncclCommDestroy(comm* m) { free(m); pthread_mutex_lock(&global); live_comms--; pthread_mutex_unlock(&global); return 0; }
ncclResult_t ncclCommAbort(comm* m) { return ncclCommDestroy(m); }
ncclResult_t ncclCommGetAsyncError(comm* m, ncclResult_t* e) { *e = async_error; return 0; }

const char* ncclGetErrorString(ncclResult_t r) {
    switch (r) {
        case 0: return "no error";
        case 2: return "unhandled system error";
        case 3: return "internal error";
        case 4: return "invalid argument";
        case 6: return "remote process exited or there was a network error";
        default: return "unknown result code";
    }
}

ncclResult_t ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, comm* m, void* stream) {
    if ((type != 7 && type != 9) || (op != 0 && op != 4)) return 4;
    clique* c = m->c;
    last_stream = stream;
    c->send[m->rank] = send;
    meet(c);
    float* sum = calloc(count ? count : 1, sizeof(float));
    for (int r = 0; r < c->n; r++)
        for (size_t i = 0; i < count; i++)
            sum[i] += type == 7 ? ((const float*) c->send[r])[i] : bf16_to_f32(((const uint16_t*) c->send[r])[i]);
    meet(c);
    for (size_t i = 0; i < count; i++) {
        float v = op == 4 ? sum[i] / c->n : sum[i];
        if (type == 7) ((float*) recv)[i] = v;
        else ((uint16_t*) recv)[i] = f32_to_bf16(v);
    }
    free(sum);
    return 0;
}

ncclResult_t ncclBroadcast(const void* send, void* recv, size_t count, int type, int root, comm* m, void* stream) {
    clique* c = m->c;
    if (root < 0 || root >= c->n) return 4;
    last_stream = stream;
    size_t bytes = count * type_size(type);
    c->send[m->rank] = send;
    meet(c);
    void* tmp = malloc(bytes ? bytes : 1);
    memcpy(tmp, c->send[root], bytes);
    meet(c);
    memcpy(recv, tmp, bytes);
    free(tmp);
    return 0;
}

ncclResult_t ncclAllGather(const void* send, void* recv, size_t count, int type, comm* m, void* stream) {
    clique* c = m->c;
    last_stream = stream;
    size_t bytes = count * type_size(type);
    c->send[m->rank] = send;
    meet(c);
    char* tmp = malloc(bytes * c->n + 1);
    for (int r = 0; r < c->n; r++) memcpy(tmp + r * bytes, c->send[r], bytes);
    meet(c);
    memcpy(recv, tmp, bytes * c->n);
    free(tmp);
    return 0;
}

/* for the test */
void fake_set_async_error(int e) { async_error = e; }
void* fake_last_stream(void) { return last_stream; }
int fake_live_comms(void) { return live_comms; }
