import { z } from 'zod';

// The console's Content-Security-Policy allows no eval: zod must not compile
// parsers with `new Function` (nor probe whether it may). This module is
// imported first, before any schema is built.
z.config({ jitless: true });
