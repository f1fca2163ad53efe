// Needs libgone.so (linked with -lgone), which the test does not install.
int base_twice(int);
int gone_call(int x) { return base_twice(x); }
