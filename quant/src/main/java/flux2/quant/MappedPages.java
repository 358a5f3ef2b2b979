package flux2.quant;

import flux2.tensor.Tensor;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Drops the resident pages of a read-only memory-mapped tensor once it has been read (madvise DONTNEED), so
 * that streaming through a large checkpoint does not keep the whole file in this process's resident set.
 * The data stays in the file and is read again if touched. A no-op where madvise is unavailable.
 */
final class MappedPages {
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private MappedPages() {}

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Releases the pages under t if it is a read-only (mapped) tensor; returns whether it did. */
    static boolean release(Tensor t) {
        // Only read-only storage is a file mapping; dropping pages of anonymous memory would zero it.
        if (MADVISE == null || !t.storage().readOnly()) return false;
        long start = t.segment().address() + t.byteOffset();
        long end = start + t.dtype().bytesFor(t.numel());
        long s = start / PAGE * PAGE, e = (end + PAGE - 1) / PAGE * PAGE;
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(s), e - s, MADV_DONTNEED) == 0;
        } catch (Throwable x) {
            return false;
        }
    }
}
