package flux2.tensor;

/** Elementwise binary operations with broadcasting. */
public enum BinaryOp { ADD, SUB, MUL, DIV, MAX, MIN, POW }
