package flux2.gpu.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PTX in the jar: (a) it is what scripts/build-ptx.sh makes from the kernel sources today (when clang-15
 * and libclc are installed), (b) ptxas accepts every module for sm_80 and sm_90 (when ptxas is on the PATH),
 * with each kernel's registers and spills printed (and no spills in the tensor-core GEMMs).
 */
class GpuPtxTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) return true;
        return false;
    }

    private record Run(int rc, String output) {}

    private static Run run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void shippedPtxIsWhatTheScriptBuilds(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(onPath("clang-15") && Files.exists(Path.of("/usr/lib/clc/nvptx64--nvidiacl.bc")),
                "clang-15 and libclc-15 are not installed");
        Run r = run(List.of("bash", ROOT.resolve("scripts/build-ptx.sh").toString(), tmp.toString()));
        assertEquals(0, r.rc(), r.output());
        for (CudaPtx.Module m : CudaPtx.MODULES) {
            byte[] built = Files.readAllBytes(tmp.resolve(m.resource()));
            assertArrayEquals(built, m.ptx(), m.resource() + " is stale: run scripts/build-ptx.sh and commit the result");
        }
    }

    @Test
    void ptxIsaIsOldEnoughForDriversOfCuda11AndLater() {
        Pattern version = Pattern.compile("^\\.version (\\d+)\\.(\\d+)$", Pattern.MULTILINE);
        for (CudaPtx.Module m : CudaPtx.MODULES) {
            Matcher v = version.matcher(new String(m.ptx(), StandardCharsets.US_ASCII));
            assertTrue(v.find(), m.resource() + " has no .version line");
            int isa = Integer.parseInt(v.group(1)) * 10 + Integer.parseInt(v.group(2));
            assertTrue(isa <= 80, m.resource() + " is PTX ISA " + v.group(1) + "." + v.group(2) + "; at most 8.0");
            assertTrue(new String(m.ptx(), StandardCharsets.US_ASCII).contains(".target sm_" + m.minCapability()),
                    m.resource() + " must target sm_" + m.minCapability());
        }
    }

    @Test
    void ptxasAcceptsEveryModule(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(onPath("ptxas"), "ptxas is not on the PATH");
        Pattern entry = Pattern.compile("Compiling entry function '(\\w+)' for '(sm_\\d+)'");
        Pattern spill = Pattern.compile("(\\d+) bytes spill stores, (\\d+) bytes spill loads");
        Pattern used = Pattern.compile("Used (\\d+) registers(.*)");
        String gemm = new String(new CudaPtx.Module("gemm_bf16.ptx", 80).ptx(), StandardCharsets.US_ASCII);
        assertTrue(gemm.contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"), "the tensor-core instruction is in gemm_bf16.ptx");
        for (CudaPtx.Module m : CudaPtx.MODULES) {
            Path ptx = tmp.resolve(m.resource());
            Files.write(ptx, m.ptx());
            int entries = (int) new String(m.ptx(), StandardCharsets.US_ASCII).lines()
                    .filter(l -> l.startsWith(".visible .entry")).count();
            for (String arch : List.of("sm_80", "sm_90")) {
                Run r = run(List.of("ptxas", "-arch=" + arch, "-v", ptx.toString(), "-o", tmp.resolve("out.cubin").toString()));
                assertEquals(0, r.rc(), "ptxas -arch=" + arch + " " + m.resource() + ":\n" + r.output());
                List<String> report = new ArrayList<>();
                String kernel = null, spills = null;
                for (String line : r.output().lines().toList()) {
                    Matcher e = entry.matcher(line), s = spill.matcher(line), u = used.matcher(line);
                    if (e.find()) { kernel = e.group(1); spills = null; }
                    else if (s.find() && kernel != null) {
                        spills = s.group(1) + "/" + s.group(2);
                        // the tensor-core GEMMs hold 64 accumulators per thread: a spill would cost most of their speed
                        if (m.minCapability() >= 80) assertEquals("0/0", spills, kernel + " spills registers on " + arch);
                    }
                    else if (u.find() && kernel != null) {
                        report.add(String.format("  %-20s %3s registers, spill stores/loads %s bytes%s", kernel, u.group(1),
                                spills, u.group(2)));
                        kernel = null;
                    }
                }
                System.out.println("ptxas -arch=" + arch + " " + m.resource() + ": " + report.size() + " kernels");
                report.forEach(System.out::println);
                assertEquals(entries, report.size(), "every .entry of " + m.resource() + " compiled for " + arch);
            }
        }
    }
}
