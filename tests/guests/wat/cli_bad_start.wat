;; Exports `_start` with the wrong type: (i32) -> (), not () -> ().
(module
  (memory (export "memory") 1)
  (func (export "_start") (param i32))
)
