// A side module that needs another (libbase.so, linked with -lbase).
extern int shared_counter;
extern int base_value;
int base_twice(int);
int b_sum(void) {
    shared_counter += 100;
    return base_twice(base_value);
}
