package flux2.gpu.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Downcall handles into the OpenCL ICD loader ({@code libOpenCL.so.1}) through java.lang.foreign. Handles
 * (platforms, devices, contexts, queues, buffers, programs, kernels) are addresses; cl_int and cl_uint are
 * ints; size_t and bitfields are longs. One in-order queue and blocking transfers order all work, so no
 * event objects are created.
 */
final class Cl {
    static final int SUCCESS = 0;
    static final int PLATFORM_VERSION = 0x0901, PLATFORM_NAME = 0x0902, PLATFORM_VENDOR = 0x0903;
    static final long DEVICE_TYPE_ALL = 0xFFFFFFFFL, DEVICE_TYPE_CPU = 2, DEVICE_TYPE_GPU = 4, DEVICE_TYPE_ACCELERATOR = 8;
    static final int DEVICE_TYPE = 0x1000, DEVICE_MAX_COMPUTE_UNITS = 0x1002, DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
            DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, DEVICE_GLOBAL_MEM_SIZE = 0x101F, DEVICE_LOCAL_MEM_SIZE = 0x1023,
            DEVICE_NAME = 0x102B, DEVICE_VENDOR = 0x102C, DRIVER_VERSION = 0x102D, DEVICE_VERSION = 0x102F;
    static final long MEM_READ_WRITE = 1;
    static final int PROGRAM_BUILD_LOG = 0x1183;
    static final int PLATFORM_NOT_FOUND_KHR = -1001;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB = load();

    static final MethodHandle clGetPlatformIDs = h("clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clGetPlatformInfo = h("clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
    static final MethodHandle clGetDeviceIDs = h("clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clGetDeviceInfo = h("clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
    static final MethodHandle clCreateContext = h("clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    static final MethodHandle clCreateCommandQueue = h("clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
    static final MethodHandle clCreateBuffer = h("clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
    static final MethodHandle clEnqueueFillBuffer = h("clEnqueueFillBuffer", JAVA_INT,
            ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clEnqueueWriteBuffer = h("clEnqueueWriteBuffer", JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clEnqueueReadBuffer = h("clEnqueueReadBuffer", JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clEnqueueCopyBuffer = h("clEnqueueCopyBuffer", JAVA_INT,
            ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clCreateProgramWithSource = h("clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
    static final MethodHandle clBuildProgram = h("clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    static final MethodHandle clGetProgramBuildInfo = h("clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
    static final MethodHandle clCreateKernel = h("clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    static final MethodHandle clSetKernelArg = h("clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
    static final MethodHandle clEnqueueNDRangeKernel = h("clEnqueueNDRangeKernel", JAVA_INT,
            ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    static final MethodHandle clFinish = h("clFinish", JAVA_INT, ADDRESS);
    static final MethodHandle clReleaseMemObject = h("clReleaseMemObject", JAVA_INT, ADDRESS);
    static final MethodHandle clReleaseKernel = h("clReleaseKernel", JAVA_INT, ADDRESS);
    static final MethodHandle clReleaseProgram = h("clReleaseProgram", JAVA_INT, ADDRESS);
    static final MethodHandle clReleaseCommandQueue = h("clReleaseCommandQueue", JAVA_INT, ADDRESS);
    static final MethodHandle clReleaseContext = h("clReleaseContext", JAVA_INT, ADDRESS);

    private Cl() {}

    private static SymbolLookup load() {
        try {
            return SymbolLookup.libraryLookup("libOpenCL.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            throw new OpenClUnavailable("no OpenCL loader (libOpenCL.so.1 cannot be opened; install an OpenCL ICD such as pocl-opencl-icd)");
        }
    }

    private static MethodHandle h(String name, MemoryLayout ret, MemoryLayout... args) {
        MemorySegment fn = LIB.find(name).orElseThrow(() -> new OpenClUnavailable("libOpenCL.so.1 lacks " + name));
        return LINKER.downcallHandle(fn, FunctionDescriptor.of(ret, args));
    }

    /** Throws with the call and the error name unless err is CL_SUCCESS. */
    static void check(int err, String call) {
        if (err != SUCCESS) throw new IllegalStateException("OpenCL " + call + " failed: " + errorName(err) + " (" + err + ")");
    }

    static String errorName(int err) {
        return switch (err) {
            case -1 -> "CL_DEVICE_NOT_FOUND";
            case -2 -> "CL_DEVICE_NOT_AVAILABLE";
            case -3 -> "CL_COMPILER_NOT_AVAILABLE";
            case -4 -> "CL_MEM_OBJECT_ALLOCATION_FAILURE";
            case -5 -> "CL_OUT_OF_RESOURCES";
            case -6 -> "CL_OUT_OF_HOST_MEMORY";
            case -11 -> "CL_BUILD_PROGRAM_FAILURE";
            case -30 -> "CL_INVALID_VALUE";
            case -33 -> "CL_INVALID_DEVICE";
            case -34 -> "CL_INVALID_CONTEXT";
            case -36 -> "CL_INVALID_COMMAND_QUEUE";
            case -38 -> "CL_INVALID_MEM_OBJECT";
            case -46 -> "CL_INVALID_KERNEL_NAME";
            case -48 -> "CL_INVALID_KERNEL";
            case -49 -> "CL_INVALID_ARG_INDEX";
            case -50 -> "CL_INVALID_ARG_VALUE";
            case -51 -> "CL_INVALID_ARG_SIZE";
            case -52 -> "CL_INVALID_KERNEL_ARGS";
            case -53 -> "CL_INVALID_WORK_DIMENSION";
            case -54 -> "CL_INVALID_WORK_GROUP_SIZE";
            case -55 -> "CL_INVALID_WORK_ITEM_SIZE";
            case -61 -> "CL_INVALID_BUFFER_SIZE";
            case -63 -> "CL_INVALID_GLOBAL_WORK_SIZE";
            case PLATFORM_NOT_FOUND_KHR -> "CL_PLATFORM_NOT_FOUND_KHR";
            default -> "error";
        };
    }
}
