"""Never listens: waits on a lock no thread will release (a futex with no deadline)."""
import threading

threading.Event().wait()
