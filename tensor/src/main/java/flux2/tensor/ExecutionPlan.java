package flux2.tensor;

/**
 * A named stretch of work (one training micro-step) that a backend may capture on first use and replay later,
 * as TornadoVM task graphs or CUDA graphs do. Closing it ends the stretch. The default plan runs everything
 * eagerly, launch by launch.
 */
public interface ExecutionPlan extends AutoCloseable {
    /** The plan of backends that do not capture: nothing to record, nothing to end. */
    ExecutionPlan EAGER = () -> {};

    @Override
    void close();
}
