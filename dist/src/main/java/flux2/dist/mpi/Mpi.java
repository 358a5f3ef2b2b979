package flux2.dist.mpi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import flux2.dist.NativeLibraries;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.NoSuchElementException;

/**
 * FFM bindings to Open MPI's {@code libmpi.so.40} (MPI 3.1): initialisation, the collectives (blocking ones for data,
 * which run Open MPI's tuned algorithms; MPI_Ibarrier with MPI_Test for waits that may last long) and MPI_Abort. Open MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of exported
 * objects ({@code ompi_mpi_comm_world}, ...), found here by name; MPI_IN_PLACE is the address 1 and
 * MPI_STATUS_IGNORE is NULL, as in Open MPI's mpi.h. Errors on MPI_COMM_WORLD return codes (MPI_ERRORS_RETURN),
 * turned into exceptions with the library's error string.
 */
public final class Mpi {
    static final int THREAD_SERIALIZED = 2;
    private static final int MAX_STRING = 256;
    static final MemorySegment IN_PLACE = MemorySegment.ofAddress(1);

    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup lib;
    final String library;
    private final MethodHandle initialized, finalized, initThread, finalizeMpi, commRank, commSize, libraryVersion, errorString,
            setErrhandler, allreduce, bcast, allgather, ibcast, ibarrier, test, abort;
    final MemorySegment commWorld, floatType, byteType, sum, errorsReturn;

    private Mpi(SymbolLookup lib, String library) {
        this.lib = lib;
        this.library = library;
        initialized = h("MPI_Initialized", ADDRESS);
        finalized = h("MPI_Finalized", ADDRESS);
        initThread = h("MPI_Init_thread", ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
        finalizeMpi = h("MPI_Finalize");
        commRank = h("MPI_Comm_rank", ADDRESS, ADDRESS);
        commSize = h("MPI_Comm_size", ADDRESS, ADDRESS);
        libraryVersion = h("MPI_Get_library_version", ADDRESS, ADDRESS);
        errorString = h("MPI_Error_string", JAVA_INT, ADDRESS, ADDRESS);
        setErrhandler = h("MPI_Comm_set_errhandler", ADDRESS, ADDRESS);
        allreduce = h("MPI_Allreduce", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        bcast = h("MPI_Bcast", ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
        allgather = h("MPI_Allgather", ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        ibcast = h("MPI_Ibcast", ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        ibarrier = h("MPI_Ibarrier", ADDRESS, ADDRESS);
        test = h("MPI_Test", ADDRESS, ADDRESS, ADDRESS);
        abort = h("MPI_Abort", ADDRESS, JAVA_INT);
        commWorld = handle("ompi_mpi_comm_world");
        floatType = handle("ompi_mpi_float");
        byteType = handle("ompi_mpi_byte");
        sum = handle("ompi_mpi_op_sum");
        errorsReturn = handle("ompi_mpi_errors_return");
    }

    /**
     * Loads Open MPI from {@code library} (system property flux2.mpi.library, default libmpi.so.40); throws
     * {@link NativeLibraries.Unavailable} with a one-line reason when it is absent or is not Open MPI.
     */
    public static Mpi load(String library) {
        SymbolLookup lib = NativeLibraries.open(library, true);
        try {
            return new Mpi(lib, library);
        } catch (NoSuchElementException e) {
            throw new NativeLibraries.Unavailable(library + " is not Open MPI 3 or newer: " + e.getMessage());
        }
    }

    /** The library this process uses. */
    public static String defaultLibrary() { return System.getProperty("flux2.mpi.library", "libmpi.so.40"); }

    private MethodHandle h(String name, MemoryLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new NoSuchElementException("missing " + name));
        return linker.downcallHandle(sym, FunctionDescriptor.of(JAVA_INT, args));
    }

    private MemorySegment handle(String name) {
        return lib.find(name).orElseThrow(() -> new NoSuchElementException("missing " + name));
    }

    private void check(String what, int rc) {
        if (rc != 0) throw new MpiException(what + " failed: " + errorString(rc) + " (MPI error " + rc + ")");
    }

    /** The library's text for an error code. */
    public String errorString(int rc) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(MAX_STRING), len = a.allocate(JAVA_INT);
            if (NativeLibraries.callInt(errorString, rc, s, len) != 0) return "unknown error";
            return s.getString(0, StandardCharsets.US_ASCII).strip();
        }
    }

    /** The first line of MPI_Get_library_version, such as "Open MPI v4.1.4, package: ...". */
    public String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(8192), len = a.allocate(JAVA_INT);
            check("MPI_Get_library_version", NativeLibraries.callInt(libraryVersion, s, len));
            String v = s.getString(0, StandardCharsets.US_ASCII).strip();
            int cut = v.indexOf(',');
            return cut > 0 ? v.substring(0, cut) : v.lines().findFirst().orElse(v);
        }
    }

    public boolean isInitialized() { return flag(initialized, "MPI_Initialized"); }

    public boolean isFinalized() { return flag(finalized, "MPI_Finalized"); }

    private boolean flag(MethodHandle h, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_INT);
            check(what, NativeLibraries.callInt(h, f));
            return f.get(JAVA_INT, 0) != 0;
        }
    }

    /** MPI_Init_thread asking for MPI_THREAD_SERIALIZED; errors on MPI_COMM_WORLD then return instead of aborting. */
    public void init() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment provided = a.allocate(JAVA_INT);
            check("MPI_Init_thread", NativeLibraries.callInt(initThread, MemorySegment.NULL, MemorySegment.NULL, THREAD_SERIALIZED, provided));
        }
        check("MPI_Comm_set_errhandler", NativeLibraries.callInt(setErrhandler, commWorld, errorsReturn));
    }

    public void finish() { check("MPI_Finalize", NativeLibraries.callInt(finalizeMpi)); }

    public int rank() { return intOut(commRank, "MPI_Comm_rank"); }

    public int size() { return intOut(commSize, "MPI_Comm_size"); }

    private int intOut(MethodHandle h, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(what, NativeLibraries.callInt(h, commWorld, v));
            return v.get(JAVA_INT, 0);
        }
    }

    /** In-place F32 sum over MPI_COMM_WORLD of {@code count} floats at {@code buf} (blocking). */
    public void sum(MemorySegment buf, int count) {
        check("MPI_Allreduce", NativeLibraries.callInt(allreduce, IN_PLACE, buf, count, floatType, sum, commWorld));
    }

    /** Broadcast of {@code bytes} bytes at {@code buf} from {@code root} (blocking). */
    public void broadcast(MemorySegment buf, int bytes, int root) {
        check("MPI_Bcast", NativeLibraries.callInt(bcast, buf, bytes, byteType, root, commWorld));
    }

    /** Gather of every rank's {@code bytes} bytes at {@code send} into {@code recv}, in rank order (blocking). */
    public void allGather(MemorySegment send, int bytes, MemorySegment recv) {
        check("MPI_Allgather", NativeLibraries.callInt(allgather, send, bytes, byteType, recv, bytes, byteType, commWorld));
    }

    /** Starts a broadcast of {@code bytes} bytes at {@code buf} from {@code root}; {@code request} receives the handle. */
    public void startBroadcast(MemorySegment buf, int bytes, int root, MemorySegment request) {
        check("MPI_Ibcast", NativeLibraries.callInt(ibcast, buf, bytes, byteType, root, commWorld, request));
    }

    public void startBarrier(MemorySegment request) {
        check("MPI_Ibarrier", NativeLibraries.callInt(ibarrier, commWorld, request));
    }

    /** MPI_Test: true (and the request freed) once the operation is complete; also drives its progress. */
    public boolean test(MemorySegment request) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_INT);
            check("MPI_Test", NativeLibraries.callInt(test, request, f, MemorySegment.NULL));
            return f.get(JAVA_INT, 0) != 0;
        }
    }

    /** MPI_Abort on MPI_COMM_WORLD: mpirun ends every process of the job. */
    public void abort(int code) { NativeLibraries.callInt(abort, commWorld, code); }
}
