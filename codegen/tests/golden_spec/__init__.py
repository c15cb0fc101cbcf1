"""A tiny spec that exercises every kind of field codegen supports, for the golden test."""
