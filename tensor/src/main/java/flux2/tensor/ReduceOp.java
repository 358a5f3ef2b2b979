package flux2.tensor;

/** Reductions over a set of axes; ARGMAX writes I64 indices and takes a single axis. */
public enum ReduceOp { SUM, MEAN, MAX, ARGMAX }
