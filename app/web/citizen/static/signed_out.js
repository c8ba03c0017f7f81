// Whoever sees the sign-in page is not signed in on this phone: no codes of the citizen who was stay on it.
import { clear } from "./codes_store.js";

clear();
