package flux2.dist.nccl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import flux2.dist.NativeLibraries;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.NoSuchElementException;

/**
 * FFM bindings to NCCL ({@code libnccl.so.2}, nccl.h of NCCL 2.10 or newer, which has ncclAvg and ncclBfloat16).
 * Every call checks its ncclResult_t and throws {@link NcclException} with ncclGetErrorString's text. A communicator
 * is the address of NCCL's opaque ncclComm; buffers are device pointers; streams are CUstreams. The unique id is
 * nccl.h's {@code ncclUniqueId}, a struct of 128 bytes passed by value to ncclCommInitRank.
 */
public final class Nccl {
    /** NCCL_UNIQUE_ID_BYTES. */
    public static final int UNIQUE_ID_BYTES = 128;
    /** ncclDataType_t values. */
    static final int FLOAT32 = 7, BFLOAT16 = 9, UINT8 = 1;
    /** ncclRedOp_t values. */
    static final int SUM = 0, AVG = 4;
    private static final StructLayout UNIQUE_ID = MemoryLayout.structLayout(MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, JAVA_BYTE).withName("internal"));

    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup lib;
    final String library;
    private final MethodHandle getVersion, getUniqueId, commInitRank, commDestroy, commAbort, commGetAsyncError, getErrorString,
            allReduce, broadcast, allGather;

    private Nccl(SymbolLookup lib, String library) {
        this.lib = lib;
        this.library = library;
        getVersion = h("ncclGetVersion", ADDRESS);
        getUniqueId = h("ncclGetUniqueId", ADDRESS);
        commInitRank = h("ncclCommInitRank", ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT);
        commDestroy = h("ncclCommDestroy", ADDRESS);
        commAbort = h("ncclCommAbort", ADDRESS);
        commGetAsyncError = h("ncclCommGetAsyncError", ADDRESS, ADDRESS);
        getErrorString = linker.downcallHandle(find("ncclGetErrorString"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
        allReduce = h("ncclAllReduce", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        broadcast = h("ncclBroadcast", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        allGather = h("ncclAllGather", ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    }

    /**
     * Loads NCCL from {@code library} (system property flux2.nccl.library, default libnccl.so.2); throws
     * {@link NativeLibraries.Unavailable} with a one-line reason when it is absent or too old.
     */
    public static Nccl load(String library) {
        SymbolLookup lib = NativeLibraries.open(library, false);
        Nccl n;
        try {
            n = new Nccl(lib, library);
        } catch (NoSuchElementException e) {
            throw new NativeLibraries.Unavailable(library + " is not NCCL 2.10 or newer: " + e.getMessage());
        }
        if (n.version() < 21000) throw new NativeLibraries.Unavailable(library + " is NCCL " + versionName(n.version()) + "; 2.10 or newer is needed (ncclAvg, ncclBfloat16)");
        return n;
    }

    public static String defaultLibrary() { return System.getProperty("flux2.nccl.library", "libnccl.so.2"); }

    private MemorySegment find(String name) {
        return lib.find(name).orElseThrow(() -> new NoSuchElementException("missing " + name));
    }

    private MethodHandle h(String name, MemoryLayout... args) {
        return linker.downcallHandle(find(name), FunctionDescriptor.of(JAVA_INT, args));
    }

    private void check(String what, int rc) {
        if (rc != 0) throw new NcclException(what + " failed: " + errorString(rc) + " (ncclResult_t " + rc + ")");
    }

    /** ncclGetErrorString. */
    public String errorString(int rc) {
        try {
            MemorySegment s = (MemorySegment) getErrorString.invokeExact(rc);
            return s.address() == 0 ? "unknown error" : s.reinterpret(512).getString(0, StandardCharsets.US_ASCII);
        } catch (Throwable t) {
            return "unknown error";
        }
    }

    /** NCCL_VERSION_CODE: 10000 major + 100 minor + patch (2.23.4 is 22304). */
    public int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check("ncclGetVersion", NativeLibraries.callInt(getVersion, v));
            return v.get(JAVA_INT, 0);
        }
    }

    static String versionName(int code) { return code / 10000 + "." + code / 100 % 100 + "." + code % 100; }

    /** A new unique id (rank 0 makes it and hands it to the others). */
    public byte[] uniqueId() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(UNIQUE_ID);
            check("ncclGetUniqueId", NativeLibraries.callInt(getUniqueId, id));
            return id.toArray(JAVA_BYTE);
        }
    }

    /** ncclCommInitRank: blocks until all {@code ranks} have called it with the same id; returns the communicator. */
    public MemorySegment initRank(int ranks, byte[] uniqueId, int rank) {
        if (uniqueId.length != UNIQUE_ID_BYTES) throw new IllegalArgumentException("an ncclUniqueId has " + UNIQUE_ID_BYTES + " bytes, got " + uniqueId.length);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment comm = a.allocate(ADDRESS);
            MemorySegment id = a.allocate(UNIQUE_ID);
            MemorySegment.copy(uniqueId, 0, id, JAVA_BYTE, 0, UNIQUE_ID_BYTES);
            check("ncclCommInitRank(rank " + rank + " of " + ranks + ")", NativeLibraries.callInt(commInitRank, comm, ranks, id, rank));
            return comm.get(ADDRESS, 0);
        }
    }

    public void destroy(MemorySegment comm) { check("ncclCommDestroy", NativeLibraries.callInt(commDestroy, comm)); }

    /** Ends the communicator's pending operations (their kernels return) and frees it. */
    public void abort(MemorySegment comm) { check("ncclCommAbort", NativeLibraries.callInt(commAbort, comm)); }

    /** The communicator's asynchronous error (0 while there is none). */
    public int asyncError(MemorySegment comm) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(JAVA_INT);
            check("ncclCommGetAsyncError", NativeLibraries.callInt(commGetAsyncError, comm, r));
            return r.get(JAVA_INT, 0);
        }
    }

    public void allReduce(long send, long recv, long count, int type, int op, MemorySegment comm, MemorySegment stream) {
        check("ncclAllReduce", NativeLibraries.callInt(allReduce, MemorySegment.ofAddress(send), MemorySegment.ofAddress(recv), count, type, op, comm, stream));
    }

    public void broadcast(long send, long recv, long count, int type, int root, MemorySegment comm, MemorySegment stream) {
        check("ncclBroadcast", NativeLibraries.callInt(broadcast, MemorySegment.ofAddress(send), MemorySegment.ofAddress(recv), count, type, root, comm, stream));
    }

    public void allGather(long send, long recv, long sendCount, int type, MemorySegment comm, MemorySegment stream) {
        check("ncclAllGather", NativeLibraries.callInt(allGather, MemorySegment.ofAddress(send), MemorySegment.ofAddress(recv), sendCount, type, comm, stream));
    }
}
