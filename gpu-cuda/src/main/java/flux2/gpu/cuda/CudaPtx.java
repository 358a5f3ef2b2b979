package flux2.gpu.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The PTX modules shipped in the jar (built by scripts/build-ptx.sh with clang and libclc): the shared kernel
 * program of {@code flux2.gpu.KernelSources} and the tensor-core GEMMs, each with the lowest compute
 * capability its {@code .target} line allows.
 */
public final class CudaPtx {
    /** Resource folder of the PTX files. */
    public static final String FOLDER = "/flux2/gpu/cuda/ptx/";

    /** One PTX file and the lowest compute capability (10 * major + minor) that can load it. */
    public record Module(String resource, int minCapability) {
        /** The PTX text as bytes. */
        public byte[] ptx() {
            String path = FOLDER + resource;
            try (InputStream in = CudaPtx.class.getResourceAsStream(path)) {
                if (in == null) throw new IllegalStateException("PTX " + path + " is missing from the jar");
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read PTX " + path, e);
            }
        }
    }

    /** Every shipped module: kernels.ptx is built for sm_60, the mma GEMMs need sm_80. */
    public static final List<Module> MODULES = List.of(new Module("kernels.ptx", 60), new Module("gemm_bf16.ptx", 80));

    private CudaPtx() {}

    /** The modules a device of compute capability {@code cc} can load. */
    public static List<Module> modulesFor(int cc) {
        List<Module> out = new ArrayList<>();
        for (Module m : MODULES) if (cc >= m.minCapability()) out.add(m);
        return out;
    }
}
