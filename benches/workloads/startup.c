/* startup: nothing at all; measures process start to `_start` and back. */
int main(void) { return 0; }
