import { Router } from 'express';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';

const s3 = new S3Client({ region: process.env.AWS_REGION });
const bucket = process.env.S3_BUCKET_NAME!;

export const uploads = Router();

uploads.post('/api/uploads/:name', async (req, res) => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: req.params.name, Body: req.body }));
  res.status(201).json({ key: req.params.name });
});
