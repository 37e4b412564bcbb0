#include "interrupt.h"
#include <signal.h>

static volatile sig_atomic_t requested = 0;
void rl_interrupt_request(int signo) { requested = signo ? signo : SIGINT; }
int rl_interrupt_requested(void) { return requested; }
void rl_interrupt_clear(void) { requested = 0; }

static volatile sig_atomic_t polling = 0;
void rl_interrupt_set_polling(int on) { polling = on != 0; }
int rl_interrupt_polling(void) { return polling; }
