package flux2.dist;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Loads a collectives library for FFM. Open MPI opens its components (shared objects) at run time and resolves
 * symbols of libmpi from them, so it is first opened with RTLD_GLOBAL, as C programs linked against it see it.
 */
public final class NativeLibraries {
    private static final int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;

    private NativeLibraries() {}

    /** Why a library could not be loaded: a one-line message. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) { super(message); }
    }

    /** The symbols of {@code library} (a name the dynamic linker searches, or a path), made global first when asked. */
    public static SymbolLookup open(String library, boolean global) {
        if (global) {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            try (Arena a = Arena.ofConfined()) {
                MethodHandle dlopen = linker.downcallHandle(libc.find("dlopen").orElseThrow(), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
                MemorySegment h = (MemorySegment) dlopen.invokeExact(a.allocateFrom(library), RTLD_NOW | RTLD_GLOBAL);
                if (h.address() == 0) {
                    MethodHandle dlerror = linker.downcallHandle(libc.find("dlerror").orElseThrow(), FunctionDescriptor.of(ADDRESS));
                    MemorySegment err = (MemorySegment) dlerror.invokeExact();
                    String why = err.address() == 0 ? "not found" : err.reinterpret(1024).getString(0, StandardCharsets.UTF_8);
                    throw new Unavailable(library + " cannot be loaded: " + why);
                }
            } catch (Unavailable | IllegalCallerException e) {
                throw e instanceof IllegalCallerException ? new Unavailable("native access is disabled (run with --enable-native-access=ALL-UNNAMED)") : e;
            } catch (Throwable t) {
                throw new Unavailable(library + " cannot be loaded: " + t);
            }
        }
        try {
            return SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new Unavailable(library + " cannot be loaded (not found by the dynamic linker)");
        } catch (IllegalCallerException e) {
            throw new Unavailable("native access is disabled (run with --enable-native-access=ALL-UNNAMED)");
        }
    }

    /** Calls a downcall that returns a C int (a status code), rethrowing what the call throws unchecked. */
    public static int callInt(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
