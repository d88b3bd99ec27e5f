import { z } from "zod";

export const notificationIdSchema = z.object({ notificationId: z.string().min(1, "is required").max(100, "is too long") });
export type NotificationIdInput = z.input<typeof notificationIdSchema>;
