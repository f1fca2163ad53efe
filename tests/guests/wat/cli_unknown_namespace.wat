;; Imports from a namespace nobody provides: my_host.do_thing (i32, i64) -> f32.
(module
  (import "my_host" "do_thing" (func $do_thing (param i32 i64) (result f32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $do_thing (i32.const 1) (i64.const 2))))
)
